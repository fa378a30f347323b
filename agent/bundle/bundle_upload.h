// Uploads a finished bundle archive to the collector: AgentService.UploadBundle in chunks of
// at most 1 MiB, the last chunk carrying the total size, the SHA-256 of the whole archive and
// the manifest summary. Resumable: every attempt first asks BundleUploadOffset where the
// collector stands and sends from there, so a disconnect costs at most the unacknowledged
// chunks. Memory is bounded by one chunk.
//
// Thread-safe: concurrent uploads of different bundles are independent.
//
// Example:
//   UploadOptions opts;
//   opts.should_stop = [&] { return stopping.load(); };
//   absl::Status s = UploadBundleArchive(*stub, "v1", "v1-2026...-abc", path, summary, opts);
#ifndef GUTS_AGENT_BUNDLE_BUNDLE_UPLOAD_H_
#define GUTS_AGENT_BUNDLE_BUNDLE_UPLOAD_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "guts/diag/v1/agent.grpc.pb.h"

namespace guts::bundle {

struct UploadOptions {
  size_t chunk_bytes = 1 << 20;
  // Attempts (each resuming from the collector's offset) before giving up.
  int max_attempts = 10;
  absl::Duration backoff_initial = absl::Milliseconds(200);
  absl::Duration backoff_max = absl::Seconds(5);
  // Deadline of each RPC.
  absl::Duration rpc_timeout = absl::Minutes(2);
  // Called with the bytes the collector holds after each response and each sent chunk.
  std::function<void(uint64_t sent, uint64_t total)> on_progress;
  // Checked between chunks and attempts; true ends the upload with CANCELLED.
  std::function<bool()> should_stop;
};

// Uploads the archive at `path`. OK once the collector reports the bundle complete. Errors:
// NOT_FOUND (no such file), DATA_LOSS / INVALID_ARGUMENT / PERMISSION_DENIED / NOT_FOUND /
// FAILED_PRECONDITION from the collector as final (not retried, except FAILED_PRECONDITION on
// an offset mismatch, which resumes), the last transport error after max_attempts.
absl::Status UploadBundleArchive(guts::diag::v1::AgentService::StubInterface& stub,
                                 const std::string& node_id, const std::string& bundle_id,
                                 const std::string& path,
                                 const guts::diag::v1::BundleSummary& summary,
                                 const UploadOptions& options);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_BUNDLE_UPLOAD_H_
