#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

const std::vector<Detector>& AllDetectors() {
  static const std::vector<Detector>* detectors = new std::vector<Detector>{
      {"partition", DetectPartitions},
      {"one_way", DetectOneWayLinks},
      {"liveness", DetectLiveness},
      {"consensus", DetectConsensus},
      {"fork", DetectForks},
      {"fleet_peer_loss", DetectFleetPeerLoss},
      {"flapping_link", DetectFlappingLinks},
      {"clock_skew", DetectClockSkew},
      {"runbook_thresholds", DetectRunbookThresholds},
      {"validator_set_drift", DetectValidatorSetDrift},
      {"consensus_engine", DetectConsensusEngineFailures},
  };
  return *detectors;
}

bool IsDown(const FleetModel& model, int node) {
  const NodeFacts& f = model.nodes[node];
  return f.has_snapshot && (f.silent || f.process_down) && f.heard_by == 0;
}

std::vector<std::string> Names(const FleetModel& model, const std::vector<int>& nodes) {
  std::vector<int> order(nodes);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return model.rank[a] < model.rank[b]; });
  std::vector<std::string> names;
  names.reserve(order.size());
  for (int u : order) names.push_back(*model.nodes[u].id);
  return names;
}

v1::NodeGroup Group(const FleetModel& model, const std::vector<int>& nodes,
                    uint64_t quorum_weight) {
  v1::NodeGroup group;
  uint64_t weight = 0, height = 0;
  for (const std::string& name : Names(model, nodes)) group.add_nodes(name);
  for (int u : nodes) {
    weight += model.nodes[u].weight;
    height = std::max(height, model.nodes[u].height);
  }
  group.set_weight(weight);
  group.set_has_quorum(quorum_weight > 0 && weight >= quorum_weight);
  group.set_height(height);
  return group;
}

std::string GroupText(const v1::NodeGroup& group) {
  return absl::StrCat("{", absl::StrJoin(group.nodes(), ","), "} (", group.weight(), ")");
}

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(d));
}

v1::Link MakeLink(const FleetModel& model, int from, int to) {
  v1::Link link;
  link.set_from(*model.nodes[from].id);
  link.set_to(*model.nodes[to].id);
  return link;
}

}  // namespace guts::collector
