// Filling a node's data-dir filesystem so that statvfs (what an agent reads) reports a chosen
// used ratio. Only done on a filesystem of the data dir's own (a tmpfs the sim mounted with
// --data-dir-size inside a private mount namespace, or one the test mounted): filling the
// host's shared disk is refused.
//
// Example:
//   absl::Status s = MountDataDir("/tmp/sim/v2/data", "64m");  // Private mount namespace.
//   s = FillDataDir("/tmp/sim/v2/data", 0.93);
//   s = FillDataDir("/tmp/sim/v2/data", 0);  // Frees it again.
//
// Thread-compatible.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace guts::sim {

// Mounts a tmpfs of `size` (e.g. "64m") on `dir`. FAILED_PRECONDITION when not root or in the
// host's mount namespace (run under `unshare -m`); INTERNAL when mount(2) fails.
absl::Status MountDataDir(const std::string& dir, const std::string& size);
// Unmounts what MountDataDir mounted (lazily). Errors are ignored: this runs at exit.
void UnmountDataDir(const std::string& dir);

// Allocates (fallocate) a filler file in `dir` so that the filesystem's used ratio reaches
// `ratio`; 0 removes the filler. FAILED_PRECONDITION when `dir` is not a mount point.
absl::Status FillDataDir(const std::string& dir, double ratio);

}  // namespace guts::sim
