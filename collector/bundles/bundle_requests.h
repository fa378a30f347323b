// BundleRequests: the operator's bundle requests, queued per node and dispatched to the agents.
//
// Collect records one bundle per node (in the BundleCatalog) and sends a Command{bundle} down
// the node's command stream (its Connect stream) when the node is connected, now or when
// OnNodeConnected says it came back. A request waits at most `pending_expiry` for its node;
// pending requests are bounded per node and in total. The agents' CommandStatus reports move a
// bundle on (running, uploading, failed); the upload itself is BundleUploads' part.
//
// Thread-safe. Collect blocks the calling thread until it is done.
//
// Example:
//   BundleRequests requests(
//       catalog.get(),
//       [&](const std::string& node, const v1::Command& c) {
//         return agent_service.SendCommand(node, c);
//       },
//       [&] { return known_nodes; }, {});
//   requests.OnNodeConnected("v3");  // from the agent service, after v3's Hello
//   requests.Collect(request, "operator", [&](const v1::CollectProgress& p) { return w.Write(p); },
//                    [] { return false; });
#ifndef GUTS_COLLECTOR_BUNDLES_BUNDLE_REQUESTS_H_
#define GUTS_COLLECTOR_BUNDLES_BUNDLE_REQUESTS_H_

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collector/bundles/bundle_catalog.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

struct BundleRequestOptions {
  // How long a request waits for an offline node (when the request gives none).
  absl::Duration pending_expiry = absl::Hours(1);
  size_t max_pending_per_node = 4;
  size_t max_pending_total = 1000;
  // Per-node wait in Collect (when the request gives none).
  absl::Duration default_timeout = absl::Minutes(5);
};

class BundleRequests {
 public:
  // Sends a command down the node's live stream; false when the node has none.
  using SendCommand =
      std::function<bool(const std::string& node_id, const guts::diag::v1::Command& command)>;
  // Every node the collector knows (for --all).
  using ListNodes = std::function<std::vector<std::string>()>;

  // `catalog` must outlive this object.
  BundleRequests(BundleCatalog* catalog, SendCommand send_command, ListNodes list_nodes,
                 BundleRequestOptions options);

  // Requests a bundle from each node and calls `emit` on every change until every node is
  // complete, failed, expired, pending (offline) or past its timeout. `emit` returning false
  // or `cancelled` returning true ends the wait with CANCELLED (the requests stay queued).
  // INVALID_ARGUMENT for no nodes or a malformed node id. A node over its pending bound gets a
  // FAILED bundle ("too many pending bundle requests").
  absl::Status Collect(const guts::diag::v1::CollectBundleRequest& request,
                       const std::string& requested_by,
                       const std::function<bool(const guts::diag::v1::CollectProgress&)>& emit,
                       const std::function<bool()>& cancelled);

  // The node's stream said Hello: its pending requests are sent now. Does not block.
  void OnNodeConnected(const std::string& node_id);
  // A CommandStatus the node sent for one of its bundles; others' ids are ignored. Does not
  // block.
  void OnCommandStatus(const std::string& node_id, const guts::diag::v1::CommandStatus& status);

  // Pending requests whose expiry is before `now` become EXPIRED.
  void ExpirePending(absl::Time now);

 private:
  BundleCatalog* const catalog_;
  const SendCommand send_command_;
  const ListNodes list_nodes_;
  const BundleRequestOptions options_;
  // Collect counts the pending requests and adds its own as one step, so two requests at once
  // cannot both pass a bound.
  std::mutex admit_mu_;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_BUNDLE_REQUESTS_H_
