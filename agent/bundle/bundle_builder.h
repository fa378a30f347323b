// Builds one diagnostic bundle: runs its sources concurrently, each under its own deadline,
// and writes the redacted outputs plus manifest.json into a .tar.gz.
//
// Every source runs on its own detached thread that shares ownership (shared_ptr) of its
// output and of the immutable context, so a hung source is simply abandoned when its deadline
// passes: it is marked timed_out, its bytes are left out, and the thread, whenever it ends,
// touches only state it co-owns. BuildBundle therefore returns within the largest source
// timeout (bounded by the plan's timeout) plus the time to write the archive.
//
// Memory is bounded: source outputs spool to temporary files and are copied into the archive
// in 64 KiB blocks.
//
// Thread-safe: concurrent BuildBundle calls are independent.
//
// Example:
//   BundlePlan plan;
//   plan.bundle_id = "b-1";
//   plan.node = target;                      // NodeTarget
//   plan.sources = DefaultBundleSources();
//   plan.work_dir = "/var/lib/guts-agent/bundles";
//   absl::StatusOr<BuiltBundle> b = BuildBundle(plan);
//   // b->archive_path, b->summary (per-source outcomes)
#ifndef GUTS_AGENT_BUNDLE_BUNDLE_BUILDER_H_
#define GUTS_AGENT_BUNDLE_BUNDLE_BUILDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/bundle/bundle_source.h"
#include "guts/diag/v1/bundle.pb.h"

namespace guts::bundle {

struct BundlePlan {
  // Becomes the archive's file name; must be a safe file name (letters, digits, "-_.").
  std::string bundle_id;
  NodeTarget node;
  std::vector<BundleSource> sources;
  // Log and history window.
  absl::Duration since = absl::Hours(1);
  // No source is waited for longer than this, whatever its own timeout.
  absl::Duration timeout = absl::Minutes(2);
  // Cap on the sum of all entries; sources beyond it are recorded as skipped.
  uint64_t max_bytes = 512ull << 20;
  bool redact = true;
  // Directory the archive is written into (created if missing).
  std::string work_dir;
  // Called on the building thread after each source finishes or is abandoned.
  std::function<void(uint32_t done, uint32_t total)> on_progress;
};

struct BuiltBundle {
  std::string archive_path;
  uint64_t size_bytes = 0;
  guts::diag::v1::BundleSummary summary;
};

// Runs `plan` to completion. A failing or hung source never fails the bundle; errors are
// INVALID_ARGUMENT for a bad plan (id, duplicate or unsafe entry names) and INTERNAL when the
// archive cannot be written.
absl::StatusOr<BuiltBundle> BuildBundle(const BundlePlan& plan);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_BUNDLE_BUILDER_H_
