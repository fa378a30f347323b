// BundleDesk: the collector's side of diagnostic bundles, without gRPC.
//
// It queues collect requests per node (pending while the node is offline, expiring after
// `pending_expiry`, bounded per node and in total), sends a Command{bundle} down a node's
// Connect stream when the node is connected (now, or when OnNodeConnected says it came
// back), follows the agents' CommandStatus reports, accepts resumable uploads (chunks of at
// most 1 MiB at the exact stored offset; the last chunk's SHA-256 over the whole archive and
// the archive's entry names are checked before the bundle is marked complete; a mismatch marks
// it failed), lists bundles and serves them back in chunks. Retention deletes bundles older
// than `retention`; a ticker thread does expiry and retention every second.
//
// Thread-safe. Collect and Download block the calling thread until they are done (the gRPC
// adapter, BundleDeskService, runs them on a thread of their own).
//
// Example:
//   auto desk = BundleDesk::Create(&storage,
//       [&](const std::string& node, const v1::Command& c) { return ingest.SendCommand(node, c); },
//       [&] { return fleet.NodeIds(); }, {});
//   ingest_registry.on_connect = [&](const std::string& node) { (*desk)->OnNodeConnected(node); };
//   (*desk)->Collect(request, "operator", [&](const v1::CollectProgress& p) { return w.Write(p); },
//                    [] { return false; });
#ifndef GUTS_COLLECTOR_BUNDLES_BUNDLE_DESK_H_
#define GUTS_COLLECTOR_BUNDLES_BUNDLE_DESK_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/bundles/bundle_storage.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

struct BundleDeskOptions {
  absl::Duration pending_expiry = absl::Hours(1);
  size_t max_pending_per_node = 4;
  size_t max_pending_total = 1000;
  absl::Duration retention = absl::Hours(168);
  // Per-node wait in Collect when the request gives none.
  absl::Duration default_timeout = absl::Minutes(5);
  uint64_t max_bundle_bytes = 2ull << 30;
  size_t max_chunk_bytes = 1 << 20;
  // Scratch space for checking a finished archive's entries (one file at a time).
  std::string temp_dir = "/tmp";
  // Run the expiry/retention ticker thread (tests call Tick themselves).
  bool start_ticker = true;
};

class BundleDesk {
 public:
  // Sends a command down the node's live stream; false when the node has none.
  using SendCommand =
      std::function<bool(const std::string& node_id, const guts::diag::v1::Command& command)>;
  // Every node the collector knows (for --all).
  using ListNodes = std::function<std::vector<std::string>()>;

  // Loads the known bundles from `storage` (which must outlive the desk).
  static absl::StatusOr<std::unique_ptr<BundleDesk>> Create(BundleStorage* storage,
                                                            SendCommand send_command,
                                                            ListNodes list_nodes,
                                                            BundleDeskOptions options);
  ~BundleDesk();

  // The node's stream said Hello: its pending requests are sent now.
  void OnNodeConnected(const std::string& node_id);
  // A CommandStatus the node sent for one of its bundles; others' ids are ignored.
  void OnCommandStatus(const std::string& node_id, const guts::diag::v1::CommandStatus& status);

  // Requests a bundle from each node and calls `emit` on every change until every node is
  // complete, failed, expired, pending (offline) or past its timeout. `emit` returning false
  // or `cancelled` returning true ends the wait with CANCELLED (the requests stay queued).
  // INVALID_ARGUMENT for no nodes or a malformed node id.
  absl::Status Collect(const guts::diag::v1::CollectBundleRequest& request,
                       const std::string& requested_by,
                       const std::function<bool(const guts::diag::v1::CollectProgress&)>& emit,
                       const std::function<bool()>& cancelled);

  // Newest first.
  guts::diag::v1::BundleList List(const guts::diag::v1::ListBundlesRequest& request) const;

  // Streams a complete bundle from request.offset in chunks of at most 1 MiB; the first
  // message carries the BundleInfo. NOT_FOUND (unknown id), FAILED_PRECONDITION (not
  // complete), OUT_OF_RANGE (offset past the end), CANCELLED when `emit` returns false.
  absl::Status Download(const guts::diag::v1::DownloadBundleRequest& request,
                        const std::function<bool(const guts::diag::v1::BundleData&)>& emit) const;

  // One uploaded chunk. `peer_node_id` is the stream's verified identity ("" without mTLS).
  // INVALID_ARGUMENT: chunk over 1 MiB, total size mismatch, unsafe archive entry (bundle
  // failed); DATA_LOSS: SHA-256 mismatch (bundle failed); FAILED_PRECONDITION: offset differs
  // from the stored offset (resume from BundleUploadOffset) or the bundle is not uploadable;
  // PERMISSION_DENIED: another node's bundle; NOT_FOUND: unknown bundle;
  // RESOURCE_EXHAUSTED: over max_bundle_bytes (bundle failed).
  absl::StatusOr<guts::diag::v1::UploadBundleResponse> AcceptChunk(
      const std::string& peer_node_id, const guts::diag::v1::BundleChunk& chunk);
  absl::StatusOr<guts::diag::v1::UploadBundleResponse> UploadOffset(
      const std::string& peer_node_id,
      const guts::diag::v1::BundleUploadOffsetRequest& request) const;

  // Expires pending requests and applies retention as of `now`.
  void Tick(absl::Time now);

 private:
  struct Entry {
    guts::diag::v1::BundleInfo info;
    guts::diag::v1::BundleRequest request;
    uint32_t sources_done = 0;
    uint32_t sources_total = 0;
    std::string message;
    // Bumped on every change, so Collect emits only what changed.
    uint64_t revision = 0;
  };

  BundleDesk(BundleStorage* storage, SendCommand send_command, ListNodes list_nodes,
             BundleDeskOptions options);
  // REQUIRES: mu_ held. Persists and wakes waiters.
  void Changed(Entry& entry);
  void Fail(const std::string& id, const std::string& error);
  absl::Status VerifyArchive(const guts::diag::v1::BundleInfo& info, const std::string& sha256,
                             uint64_t size) const;
  guts::diag::v1::CollectProgress Progress(const Entry& entry) const;

  BundleStorage* const storage_;
  const SendCommand send_command_;
  const ListNodes list_nodes_;
  const BundleDeskOptions options_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Entry> bundles_;
  bool stopping_ = false;
  // Serializes uploads so that two streams of one bundle cannot interleave offsets.
  std::mutex upload_mu_;
  // Bundles whose archive is being checked (outside upload_mu_, which other uploads need);
  // guarded by mu_. A chunk for one of them gets UNAVAILABLE.
  std::set<std::string> verifying_;
  std::thread ticker_;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_BUNDLE_DESK_H_
