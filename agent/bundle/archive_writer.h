// Writes a bundle's .tar.gz with libarchive, streaming each entry in bounded blocks.
//
// Every entry name is checked with ValidateEntryName before anything is written. Entries are
// regular files (mode 0644, owner 0, mtime = the bundle's time) so archives do not leak local
// user names.
//
// Thread-compatible. Example:
//   ArchiveWriter w;
//   if (auto s = w.Open("/tmp/b.tar.gz", absl::Now()); !s.ok()) return s;
//   w.AddText("manifest.json", json);
//   w.Close();
#ifndef GUTS_AGENT_BUNDLE_ARCHIVE_WRITER_H_
#define GUTS_AGENT_BUNDLE_ARCHIVE_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

struct archive;

namespace guts::bundle {

class ArchiveWriter {
 public:
  ArchiveWriter() = default;
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Creates (truncates) the archive at `path`. INTERNAL on failure.
  absl::Status Open(const std::string& path, absl::Time mtime);
  // Adds `size` bytes read from `file` (from its current position). INVALID_ARGUMENT for a bad
  // name; INTERNAL on an I/O error (the archive is then unusable).
  absl::Status AddFile(std::string_view name, FILE* file, uint64_t size);
  absl::Status AddText(std::string_view name, std::string_view text);
  // Finishes the gzip stream. Must be called for a valid archive.
  absl::Status Close();

 private:
  absl::Status Header(std::string_view name, uint64_t size);

  ::archive* archive_ = nullptr;
  absl::Time mtime_;
};

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_ARCHIVE_WRITER_H_
