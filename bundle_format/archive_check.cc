#include "bundle_format/archive_check.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "bundle_format/entry_name.h"

namespace guts::bundle {

namespace {

bool HasControlCharacter(const char* name) {
  for (const unsigned char* c = reinterpret_cast<const unsigned char*>(name); *c != 0; ++c) {
    if (*c < 0x20 || *c == 0x7f) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CheckArchiveEntries(const std::string& path,
                                                             const ArchiveCheckLimits& limits) {
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
    if (HasControlCharacter(name)) {
      return absl::InvalidArgumentError("archive entry name holds a control character");
    }
    if (absl::Status s = ValidateEntryName(name); !s.ok()) return s;
    // A hard link reads back as a regular file that carries a link target.
    if (archive_entry_hardlink(entry) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("archive entry \"", name, "\" is a link"));
    }
    if (archive_entry_filetype(entry) != AE_IFREG) {
      return absl::InvalidArgumentError(
          absl::StrCat("archive entry \"", name, "\" is not a regular file"));
    }
    if ((archive_entry_mode(entry) & (S_ISUID | S_ISGID | S_ISVTX)) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("archive entry \"", name, "\" has setuid, setgid or sticky bits"));
    }
    const int64_t declared = archive_entry_size(entry);
    if (declared < 0 || static_cast<uint64_t>(archive_filter_bytes(reader.get(), 0)) +
                                static_cast<uint64_t>(declared) >
                            limits.max_expanded_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "archive expands beyond ", limits.max_expanded_bytes, " bytes (entry \"", name, "\")"));
    }
    names.emplace_back(name);
    // Read (not skip) in blocks, so that a bomb is judged while it expands, not after.
    char block[64 * 1024];
    for (;;) {
      la_ssize_t n = archive_read_data(reader.get(), block, sizeof(block));
      if (n == 0) break;
      if (n < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("corrupt archive data: ", archive_error_string(reader.get())));
      }
      const auto expanded = static_cast<uint64_t>(archive_filter_bytes(reader.get(), 0));
      const auto compressed = static_cast<uint64_t>(archive_filter_bytes(reader.get(), -1));
      if (expanded > limits.ratio_floor_bytes &&
          static_cast<double>(expanded) >
              limits.max_compression_ratio *
                  static_cast<double>(std::max<uint64_t>(compressed, 1))) {
        return absl::InvalidArgumentError(
            absl::StrCat("archive expands more than ", limits.max_compression_ratio,
                         " times (a compression bomb?): ", expanded, " bytes from ", compressed));
      }
    }
  }
  return names;
}

}  // namespace guts::bundle
