// CheckUploadedArchive: the check a bundle passes before the collector marks it complete. The
// archive is read back from the catalog, so what is checked is what will be served: its size,
// its SHA-256 against the one the agent sent, and its entry names and types
// (bundle::CheckArchiveEntries: relative names without "..", regular files only, bounded
// expansion), on a scratch copy in `temp_dir` that is removed afterwards.
//
// Returns OK; DATA_LOSS when fewer or more bytes are stored than `size` or the SHA-256
// differs; INVALID_ARGUMENT for an unsafe archive (the message names the entry); INTERNAL when
// the scratch file cannot be created; the storage's error when the bytes cannot be read.
// Blocks for as long as reading the whole archive takes: never call it on a gRPC callback thread.
//
// Example:
//   absl::Status verdict = CheckUploadedArchive(catalog, id, chunk.sha256(), received, "/tmp");
#ifndef GUTS_COLLECTOR_BUNDLES_UPLOADED_ARCHIVE_CHECK_H_
#define GUTS_COLLECTOR_BUNDLES_UPLOADED_ARCHIVE_CHECK_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "collector/bundles/bundle_catalog.h"

namespace guts::collector {

absl::Status CheckUploadedArchive(const BundleCatalog& catalog, const std::string& bundle_id,
                                  const std::string& sha256, uint64_t size,
                                  const std::string& temp_dir);

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_UPLOADED_ARCHIVE_CHECK_H_
