// Reads a bundle archive's table of contents and refuses unsafe entries.
//
// The collector runs this on every uploaded archive before marking it complete, so that a
// compromised or buggy agent cannot store an archive that escapes its directory when an
// operator extracts it. Only names and types are read; entry data is skipped.
//
// Example:
//   absl::StatusOr<std::vector<std::string>> names = CheckArchiveEntries("/tmp/b.tar.gz");
#ifndef GUTS_BUNDLE_FORMAT_ARCHIVE_CHECK_H_
#define GUTS_BUNDLE_FORMAT_ARCHIVE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace guts::bundle {

// Bounds on the work one archive check may cause (a gzip bomb stops early, see
// docs/security.md).
struct ArchiveCheckLimits {
  // Bytes the archive may expand to (tar stream after gunzip).
  uint64_t max_expanded_bytes = uint64_t{16} << 30;
  // Expanded over compressed bytes, judged once more than `ratio_floor_bytes` were expanded.
  double max_compression_ratio = 200;
  uint64_t ratio_floor_bytes = 64 << 20;
};

// Entry names of the .tar.gz at `path`, in archive order. INVALID_ARGUMENT when an entry name
// fails ValidateEntryName or holds a control character, an entry is a link, device or
// anything but a regular file, has setuid/setgid/sticky bits, when the archive expands beyond
// the limits, or the file is not a readable tar.gz; NOT_FOUND when the file does not exist.
// Thread-safe.
absl::StatusOr<std::vector<std::string>> CheckArchiveEntries(const std::string& path,
                                                             const ArchiveCheckLimits& limits = {});

}  // namespace guts::bundle

#endif  // GUTS_BUNDLE_FORMAT_ARCHIVE_CHECK_H_
