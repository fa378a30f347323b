// BundleFile: downloads a stored diagnostic bundle to a local file and verifies it.
//
// The archive is written to "<path>.part" and renamed to <path> only once its SHA-256
// matches the one the collector announced and its entries pass the archive check (no absolute
// or escaping names, no links or devices), so a file named like a bundle is a whole, verified,
// safe-to-extract bundle. Not thread-safe (uses the caller's client).
//
// Example:
//   absl::StatusOr<DownloadedBundle> got = DownloadBundleFile(client, "b-12", "", deadline);
//   // got->path == "v3-20261130T025741Z.tar.gz"
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "ctl/client.h"

namespace guts::ctl {

struct DownloadedBundle {
  v1::BundleInfo info;  // as announced by the collector on the first chunk
  std::string path;     // where the verified archive is
};

// The default file name of a bundle: "<node>-<YYYYmmddTHHMMSSZ>.tar.gz" from the time it was
// requested.
std::string DefaultBundleFileName(const v1::BundleInfo& info);

// Downloads bundle `id` into `path` (or, when `path` is empty, DefaultBundleFileName in the
// current directory; when `path` is an existing directory, that name inside it).
// DATA_LOSS when the checksum or size does not match or an entry is unsafe (the partial file
// is removed); the client's operator errors otherwise.
absl::StatusOr<DownloadedBundle> DownloadBundleFile(FleetClient& client, const std::string& id,
                                                    const std::string& path,
                                                    absl::Duration deadline);

}  // namespace guts::ctl
