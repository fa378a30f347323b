#include "collector/analysis/verdict_parts.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

std::vector<std::string> SortedNodeNames(const FleetModel& model, const std::vector<int>& nodes) {
  std::vector<int> order(nodes);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return model.rank[a] < model.rank[b]; });
  std::vector<std::string> names;
  names.reserve(order.size());
  for (int u : order) names.push_back(*model.nodes[u].id);
  return names;
}

v1::NodeGroup NodeGroupOf(const FleetModel& model, const std::vector<int>& nodes,
                          uint64_t quorum_weight) {
  v1::NodeGroup group;
  uint64_t weight = 0, height = 0;
  // In rank (name) order, added straight from the model: no intermediate copy of the names.
  std::vector<int> scratch;
  const std::vector<int>& order = InRankOrder(nodes, model.rank, scratch);
  group.mutable_nodes()->Reserve(static_cast<int>(order.size()));
  for (int u : order) {
    const NodeFacts& f = model.nodes[u];
    group.add_nodes(*f.id);
    weight += f.weight;
    height = std::max(height, f.height);
  }
  group.set_weight(weight);
  group.set_has_quorum(quorum_weight > 0 && weight >= quorum_weight);
  group.set_height(height);
  return group;
}

std::string GroupText(const v1::NodeGroup& group) {
  return absl::StrCat("{", FewNamesText(group.nodes()), "} (", group.weight(), ")");
}

std::string SecondsText(absl::Duration d) {
  return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(d));
}

v1::Link MakeLink(const FleetModel& model, int from, int to) {
  v1::Link link;
  link.set_from(*model.nodes[from].id);
  link.set_to(*model.nodes[to].id);
  return link;
}

}  // namespace guts::collector
