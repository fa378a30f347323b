#include "collector/analysis/network_sides.h"

#include <algorithm>
#include <string>

#include "collector/analysis/verdict_parts.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

std::vector<NetworkSide> NetworkSides(const FleetModel& model, const PeerGraph& g) {
  std::vector<NetworkSide> sides(g.components.size());
  for (size_t c = 0; c < g.components.size(); ++c) {
    sides[c].nodes = g.components[c];
    sides[c].weight = g.component_weight[c];
  }
  NetworkSide unheard;
  unheard.unheard = true;
  for (size_t k = 0; k < model.unobserved.size(); ++k) {
    const UnobservedValidator& u = model.unobserved[k];
    // The component most of its hearers are in (a validator heard from two sides bridges
    // them; the larger count places it).
    std::vector<int> count(g.components.size(), 0);
    for (int node : u.heard_by) {
      int c = g.component_of[node];
      if (c >= 0) ++count[c];
    }
    auto best = std::max_element(count.begin(), count.end());
    NetworkSide* side = best != count.end() && *best > 0 ? &sides[best - count.begin()] : &unheard;
    side->unobserved.push_back(static_cast<int>(k));
    side->weight += u.entry->weight;
  }
  if (!unheard.unobserved.empty() && !model.observers.empty()) sides.push_back(std::move(unheard));
  std::stable_sort(sides.begin(), sides.end(),
                   [](const NetworkSide& a, const NetworkSide& b) { return a.weight > b.weight; });
  return sides;
}

v1::NodeGroup SideGroup(const FleetModel& model, const NetworkSide& side) {
  v1::NodeGroup group = NodeGroupOf(model, side.nodes, model.quorum_weight);
  if (side.unobserved.empty()) return group;
  std::vector<std::string> names(group.nodes().begin(), group.nodes().end());
  for (int k : side.unobserved) names.push_back(model.unobserved[k].entry->name);
  std::sort(names.begin(), names.end());
  group.clear_nodes();
  for (const std::string& name : names) group.add_nodes(name);
  group.set_weight(side.weight);
  group.set_has_quorum(model.quorum_weight > 0 && side.weight >= model.quorum_weight);
  return group;
}

}  // namespace guts::collector
