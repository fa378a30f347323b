// AgentServiceImpl: the collector's AgentService. One Connect stream per agent, each served by a
// reactor on gRPC's callback API (no thread per stream; a reactor never blocks). The stream
// must open with a Hello; under mTLS the Hello's node id must equal the client certificate's
// common name. Snapshots go to the SnapshotWriter; their cumulative Acks come back on the same
// stream once the write batch holding them is in the WAL.
//
// Statuses a stream may end with: INVALID_ARGUMENT (first message not a Hello, a second Hello,
// malformed or out-of-bounds snapshot, seq not increasing, a message of unknown kind),
// PERMISSION_DENIED (node id != certificate CN), RESOURCE_EXHAUSTED (ingest queue full, or the
// node over its snapshot rate, see agent_rate_limit.h: back off), ALREADY_EXISTS (a newer
// stream of the same node took over), UNAVAILABLE (shutdown). A refused snapshot is never
// acked, so the agent keeps it and sends it again on its next stream.
//
// Example:
//   AgentServiceImpl agent_service(&writer, &fleet, &metrics, {.require_client_identity = true});
//   builder.RegisterService(&agent_service);
//   agent_service.SendCommand("v3", command);  // false when v3 has no live stream
//
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "collector/bundle_rpcs.h"
#include "collector/fleet/fleet_state.h"
#include "collector/http/metrics.h"
#include "collector/ingest/agent_rate_limit.h"
#include "collector/ingest/snapshot_limits.h"
#include "collector/ingest/snapshot_writer.h"
#include "guts/diag/v1/agent.grpc.pb.h"

namespace guts::collector {

struct AgentServiceOptions {
  // Check the Hello's node id against the client certificate (mTLS). Off with --insecure.
  bool require_client_identity = true;
  SnapshotLimits limits;
  // Snapshots per second and burst per node (--max-snapshots-per-second-per-agent).
  RateLimitOptions rate_limit;
  // Bytes one stream may have received but not yet acked; beyond, the stream stops reading
  // (HTTP/2 flow control then holds the agent back) until acks catch up.
  size_t max_stream_inflight_bytes = 16u << 20;
  // A snapshot's seq may run ahead of the node's last stored seq by at most this many, plus
  // kSeqJumpPerSecond per second of the node's silence (docs/security.md, "Sequence numbers").
  uint64_t max_seq_jump = 100000;
};

class AgentStream;

// Connect is served raw (bytes in, bytes out) so that a message that does not parse, or has
// invalid UTF-8 in a string, ends the stream with INVALID_ARGUMENT and a warning line instead
// of looking like the agent closing its side.
using AgentServiceBase = guts::diag::v1::AgentService::WithRawCallbackMethod_Connect<
    guts::diag::v1::AgentService::WithCallbackMethod_UploadBundle<
        guts::diag::v1::AgentService::WithCallbackMethod_BundleUploadOffset<
            guts::diag::v1::AgentService::Service>>>;

class AgentServiceImpl final : public AgentServiceBase {
 public:
  // Every pointer must outlive the service.
  AgentServiceImpl(SnapshotWriter* writer, FleetState* fleet, CollectorMetrics* metrics,
                   AgentServiceOptions options);
  ~AgentServiceImpl() override;

  // Delegate for UploadBundle, BundleUploadOffset and CommandStatus messages.
  // REQUIRES: called before the server starts.
  void SetBundleRpcs(BundleRpcs* bundles) { bundles_ = bundles; }

  // Queues `command` on the node's live stream. False when the node has no live stream.
  bool SendCommand(const std::string& node_id, const guts::diag::v1::Command& command);

  // Ends every stream with UNAVAILABLE (shutdown); the agents reconnect elsewhere or later.
  void CloseAll();

  size_t StreamsConnected() const;

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Connect(
      grpc::CallbackServerContext* context) override;
  grpc::ServerReadReactor<guts::diag::v1::BundleChunk>* UploadBundle(
      grpc::CallbackServerContext* context,
      guts::diag::v1::UploadBundleResponse* response) override;
  grpc::ServerUnaryReactor* BundleUploadOffset(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::BundleUploadOffsetRequest* request,
      guts::diag::v1::UploadBundleResponse* response) override;

 private:
  friend class ConnectReactor;
  // A stream said Hello as `node_id`: it becomes the node's stream; an older one is closed.
  void Register(const std::string& node_id, std::shared_ptr<AgentStream> stream);
  // True when `stream` was still the node's stream (and is now removed).
  bool Unregister(const std::string& node_id, const AgentStream* stream);

  SnapshotWriter* const writer_;
  FleetState* const fleet_;
  CollectorMetrics* const metrics_;
  const AgentServiceOptions options_;
  BundleRpcs* bundles_ = nullptr;
  AgentRateLimit rate_limit_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<AgentStream>> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace guts::collector
