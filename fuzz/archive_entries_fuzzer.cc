// Fuzzes bundle archive entry handling, shared by the agent (before it writes an entry) and
// the collector (on every uploaded archive before it is marked complete): ValidateEntryName on
// the raw input, and CheckArchiveEntries on the input as a .tar.gz file. Every name an archive
// passes with must itself be a valid entry name.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bundle_format/archive_check.h"
#include "bundle_format/entry_name.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)guts::bundle::ValidateEntryName(
      std::string_view(reinterpret_cast<const char*>(data), size));

  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/guts-fuzz-archive-" + std::to_string(getpid());
  }();
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  auto names = guts::bundle::CheckArchiveEntries(path);
  if (names.ok()) {
    for (const std::string& name : *names) {
      if (!guts::bundle::ValidateEntryName(name).ok()) std::abort();
    }
  }
  std::remove(path.c_str());
  return 0;
}
