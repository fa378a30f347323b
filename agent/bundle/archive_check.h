// Reads a bundle archive's table of contents and refuses unsafe entries.
//
// The collector runs this on every uploaded archive before marking it complete, so that a
// compromised or buggy agent cannot store an archive that escapes its directory when an
// operator extracts it. Only names and types are read; entry data is skipped.
//
// Example:
//   absl::StatusOr<std::vector<std::string>> names = CheckArchiveEntries("/tmp/b.tar.gz");
#ifndef GUTS_AGENT_BUNDLE_ARCHIVE_CHECK_H_
#define GUTS_AGENT_BUNDLE_ARCHIVE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace guts::bundle {

// Entry names of the .tar.gz at `path`, in archive order. INVALID_ARGUMENT when an entry name
// fails ValidateEntryName, an entry is a link or device, or the file is not a readable tar.gz;
// NOT_FOUND when the file does not exist. Thread-safe.
absl::StatusOr<std::vector<std::string>> CheckArchiveEntries(const std::string& path);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_ARCHIVE_CHECK_H_
