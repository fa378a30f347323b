#include "agent/bundle/archive_check.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "agent/bundle/entry_name.h"

namespace guts::bundle {

absl::StatusOr<std::vector<std::string>> CheckArchiveEntries(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return absl::NotFoundError(absl::StrCat(path, " not found"));
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                &archive_read_free);
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a readable tar.gz: ", archive_error_string(reader.get())));
  }
  std::vector<std::string> names;
  archive_entry* entry = nullptr;
  while (true) {
    const int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt archive: ", archive_error_string(reader.get())));
    }
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) return absl::InvalidArgumentError("archive entry without a name");
    if (absl::Status s = ValidateEntryName(name); !s.ok()) return s;
    // A hard link reads back as a regular file that carries a link target.
    if (archive_entry_hardlink(entry) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("archive entry \"", name, "\" is a link"));
    }
    if (archive_entry_filetype(entry) != AE_IFREG) {
      return absl::InvalidArgumentError(
          absl::StrCat("archive entry \"", name, "\" is not a regular file"));
    }
    names.emplace_back(name);
    if (archive_read_data_skip(reader.get()) != ARCHIVE_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt archive data: ", archive_error_string(reader.get())));
    }
  }
  return names;
}

}  // namespace guts::bundle
