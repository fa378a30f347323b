#include "collector/analysis/network_sides.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

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
  if (side.unobserved.empty()) return NodeGroupOf(model, side.nodes, model.quorum_weight);
  v1::NodeGroup group;
  for (std::string& name : SideMemberNames(model, {&side})) group.add_nodes(std::move(name));
  uint64_t height = 0;
  for (int u : side.nodes) height = std::max(height, model.nodes[u].height);
  group.set_height(height);
  group.set_weight(side.weight);
  group.set_has_quorum(model.quorum_weight > 0 && side.weight >= model.quorum_weight);
  return group;
}

std::vector<std::string> SideMemberNames(const FleetModel& model,
                                         const std::vector<const NetworkSide*>& sides,
                                         std::vector<int>* indices, std::vector<int>* side_of) {
  // The observed members in rank order (which is name order) merged with the few unobserved
  // names, sorted: the same list as sorting all names, without copying and sorting the
  // thousands of observed ones as strings on every tick. Each side's nodes (a component) are
  // in rank order already when the view is in id order: the sides are merged run by run, and
  // only a side out of order is sorted (a split with no quorum names every side, and sorting
  // their 10 000 indices as one list was most of making the list).
  auto by_rank = [&](int a, int b) { return model.rank[a] < model.rank[b]; };
  std::vector<int> observed;
  struct Unobserved {
    const std::string* name;
    int side;  // position in `sides`
  };
  std::vector<Unobserved> unobserved;
  // By model index: the position in `sides` of the node's side (only when side_of is asked).
  std::vector<int> side_at(side_of != nullptr ? model.nodes.size() : 0, -1);
  for (size_t s = 0; s < sides.size(); ++s) {
    const NetworkSide* side = sides[s];
    const auto run = static_cast<std::ptrdiff_t>(observed.size());
    observed.insert(observed.end(), side->nodes.begin(), side->nodes.end());
    if (!std::is_sorted(observed.begin() + run, observed.end(), by_rank)) {
      std::sort(observed.begin() + run, observed.end(), by_rank);
    }
    std::inplace_merge(observed.begin(), observed.begin() + run, observed.end(), by_rank);
    for (int k : side->unobserved) {
      unobserved.push_back({&model.unobserved[k].entry->name, static_cast<int>(s)});
    }
    if (side_of != nullptr) {
      for (int u : side->nodes) side_at[static_cast<size_t>(u)] = static_cast<int>(s);
    }
  }
  std::sort(unobserved.begin(), unobserved.end(),
            [](const Unobserved& a, const Unobserved& b) { return *a.name < *b.name; });
  std::vector<std::string> names;
  const size_t total = observed.size() + unobserved.size();
  names.reserve(total);
  if (indices != nullptr) {
    indices->clear();
    indices->reserve(total);
  }
  if (side_of != nullptr) {
    side_of->clear();
    side_of->reserve(total);
  }
  size_t o = 0, x = 0;
  while (o < observed.size() || x < unobserved.size()) {
    if (x == unobserved.size() ||
        (o < observed.size() && !(*unobserved[x].name < *model.nodes[observed[o]].id))) {
      const int u = observed[o++];
      names.push_back(*model.nodes[u].id);
      if (indices != nullptr) indices->push_back(u);
      if (side_of != nullptr) side_of->push_back(side_at[static_cast<size_t>(u)]);
    } else {
      names.push_back(*unobserved[x].name);
      if (indices != nullptr) indices->push_back(-1);
      if (side_of != nullptr) side_of->push_back(unobserved[x].side);
      ++x;
    }
  }
  return names;
}

MembersKey SidesKey(const FleetModel& model, const std::vector<NetworkSide>& sides) {
  MembersKey key;
  key.index_epoch = model.index_epoch;
  key.sides.reserve(sides.size());
  key.unobserved.reserve(sides.size());
  for (const NetworkSide& side : sides) {
    key.sides.push_back(side.nodes);
    std::vector<std::string>& names = key.unobserved.emplace_back();
    for (int k : side.unobserved) names.push_back(model.unobserved[k].entry->name);
  }
  return key;
}

bool NamedSides::Holds(const MembersKey& k, const std::vector<NetworkSide>& sides) const {
  if (key.index_epoch == 0 || weights.size() != sides.size() || !(key == k)) return false;
  for (size_t c = 0; c < sides.size(); ++c) {
    if (weights[c] != sides[c].weight) return false;
  }
  return true;
}

void NamedSides::KeepGroups(MembersKey k, const std::vector<NetworkSide>& sides,
                            std::vector<v1::NodeGroup> made) {
  *this = NamedSides();
  key = std::move(k);
  for (const NetworkSide& side : sides) weights.push_back(side.weight);
  groups = std::move(made);
  for (size_t c = 0; c < groups.size(); ++c) {
    group_texts.push_back(SideDescribed(sides, c) ? GroupText(groups[c]) : std::string());
  }
}

void RefreshSideGroup(const FleetModel& model, const NetworkSide& side, v1::NodeGroup& group) {
  uint64_t height = 0;
  for (int u : side.nodes) height = std::max(height, model.nodes[u].height);
  group.set_height(height);
  group.set_has_quorum(model.quorum_weight > 0 && side.weight >= model.quorum_weight);
}

}  // namespace guts::collector
