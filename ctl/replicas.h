// Several collectors: gutsctl's view of independent collector replicas.
//
// Each collector replica stores and analyses on its own, from the agents it hears. During a
// network cut the replicas may hear different parts of the fleet; that is itself evidence.
// This file asks every replica for its FleetStatus and says where they disagree: which nodes
// each one hears (agent stream connected) and which incidents each has open (by cause key, the
// identity that does not depend on the replica; incident ids do).
//
// Example:
//   absl::StatusOr<std::vector<std::string>> collectors =
//       ParseCollectorList("10.0.0.5:7400,10.0.0.6:7400");
//   std::vector<ReplicaView> views = AskEveryCollector(options, collectors);
//   std::string warning = ReplicaSplitWarning(views);   // "" when they agree
//   out << RenderReplicaComparison(views, style);
//
// Thread-compatible.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ctl/client.h"
#include "ctl/render/text.h"

namespace guts::ctl {

// Whether the replica that sent `node` hears its agent now: the stream is up and the replica
// has not judged the node silent (UNREACHABLE or DOWN). A stream cut without a reset stays
// "connected" until keepalive ends it; the silence shows first.
bool HearsNode(const v1::NodeStatus& node);

// "a:7400, b:7400" -> {"a:7400", "b:7400"}; empty items are skipped, repeats kept once.
// INVALID_ARGUMENT naming the item when one is not a host:port (common/host_port.h) or a port
// is 0, and when the list is empty.
absl::StatusOr<std::vector<std::string>> ParseCollectorList(const std::string& flag);

// One replica's answer.
struct ReplicaView {
  std::string collector;
  absl::StatusOr<v1::FleetStatus> status;
  // Nodes this replica hears now (HearsNode).
  std::set<std::string> heard;
  // Cause keys of its open incidents.
  std::set<std::string> open_causes;
};

// Asks each collector in turn (options.collector replaced by each address) for its
// FleetStatus within options.deadline. Never fails as a whole: an unreachable replica is a
// view whose status holds the error.
std::vector<ReplicaView> AskEveryCollector(const ClientOptions& options,
                                           const std::vector<std::string>& collectors);

// One line per disagreement between the replicas that answered ("" when they agree, or when
// fewer than two answered): nodes heard by only some, incidents open on only some.
std::string ReplicaSplitWarning(const std::vector<ReplicaView>& views);

// Every replica: reachable or not, nodes heard, open incidents; then the disagreements.
std::string RenderReplicaComparison(const std::vector<ReplicaView>& views, const Style& style);

}  // namespace guts::ctl
