#include "agent/bundle/archive_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bundle_format/entry_name.h"

namespace guts::bundle {

ArchiveWriter::~ArchiveWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);
}

absl::Status ArchiveWriter::Open(const std::string& path, absl::Time mtime) {
  mtime_ = mtime;
  archive_ = archive_write_new();
  archive_write_add_filter_gzip(archive_);
  archive_write_set_format_pax_restricted(archive_);
  if (archive_write_open_filename(archive_, path.c_str()) != ARCHIVE_OK) {
    return absl::InternalError(
        absl::StrCat("cannot create ", path, ": ", archive_error_string(archive_)));
  }
  return absl::OkStatus();
}

absl::Status ArchiveWriter::Header(std::string_view name, uint64_t size) {
  if (archive_ == nullptr) return absl::FailedPreconditionError("archive not open");
  if (absl::Status s = ValidateEntryName(name); !s.ok()) return s;
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                      &archive_entry_free);
  archive_entry_set_pathname(entry.get(), std::string(name).c_str());
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_mtime(entry.get(), absl::ToUnixSeconds(mtime_), 0);
  if (archive_write_header(archive_, entry.get()) != ARCHIVE_OK) {
    return absl::InternalError(absl::StrCat("archive header for ", std::string(name), ": ",
                                            archive_error_string(archive_)));
  }
  return absl::OkStatus();
}

absl::Status ArchiveWriter::AddFile(std::string_view name, FILE* file, uint64_t size) {
  if (absl::Status s = Header(name, size); !s.ok()) return s;
  std::vector<char> block(64 * 1024);
  uint64_t left = size;
  while (left > 0) {
    const size_t n = std::fread(block.data(), 1, std::min<uint64_t>(left, block.size()), file);
    if (n == 0) return absl::InternalError(absl::StrCat("short read for ", std::string(name)));
    if (archive_write_data(archive_, block.data(), n) < 0) {
      return absl::InternalError(absl::StrCat("archive write: ", archive_error_string(archive_)));
    }
    left -= n;
  }
  return absl::OkStatus();
}

absl::Status ArchiveWriter::AddText(std::string_view name, std::string_view text) {
  if (absl::Status s = Header(name, text.size()); !s.ok()) return s;
  if (!text.empty() && archive_write_data(archive_, text.data(), text.size()) < 0) {
    return absl::InternalError(absl::StrCat("archive write: ", archive_error_string(archive_)));
  }
  return absl::OkStatus();
}

absl::Status ArchiveWriter::Close() {
  if (archive_ == nullptr) return absl::FailedPreconditionError("archive not open");
  const int rc = archive_write_close(archive_);
  std::string err = rc == ARCHIVE_OK ? "" : archive_error_string(archive_);
  archive_write_free(archive_);
  archive_ = nullptr;
  if (rc != ARCHIVE_OK) return absl::InternalError(absl::StrCat("archive close: ", err));
  return absl::OkStatus();
}

}  // namespace guts::bundle
