// Reads a .tar.gz into memory for assertions (test archives are small).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <string>

namespace guts::bundle::testing {

inline std::map<std::string, std::string> ReadArchive(const std::string& path) {
  std::map<std::string, std::string> entries;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    archive_read_free(a);
    return entries;
  }
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) data.append(buf, n);
    entries[archive_entry_pathname(e)] = data;
  }
  archive_read_free(a);
  return entries;
}

}  // namespace guts::bundle::testing
