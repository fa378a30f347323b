#include "collector/analysis/peer_graph.h"

#include <algorithm>
#include <iterator>

namespace guts::collector {

namespace {

bool InGraph(const NodeFacts& f) { return f.reporting && f.has_peer_data && !f.process_down; }

// Iterative Tarjan over one component: cut vertices and bridge edges.
void FindCuts(const PeerGraph& g, int root, std::vector<int>& disc, std::vector<int>& low,
              std::vector<char>& is_cut, std::vector<std::pair<int, int>>& bridges, int& timer) {
  struct Frame {
    int node;
    int parent;
    size_t next;
    int children;
  };
  std::vector<Frame> stack;
  stack.push_back({root, -1, 0, 0});
  disc[root] = low[root] = timer++;
  while (!stack.empty()) {
    Frame& top = stack.back();
    const std::vector<int>& adj = g.mutual[top.node];
    if (top.next < adj.size()) {
      int v = adj[top.next++];
      if (disc[v] < 0) {
        ++top.children;
        disc[v] = low[v] = timer++;
        stack.push_back({v, top.node, 0, 0});
      } else if (v != top.parent) {
        low[top.node] = std::min(low[top.node], disc[v]);
      }
      continue;
    }
    Frame done = top;
    stack.pop_back();
    if (stack.empty()) {
      if (done.children > 1) is_cut[done.node] = 1;
      break;
    }
    Frame& parent = stack.back();
    low[parent.node] = std::min(low[parent.node], low[done.node]);
    if (parent.parent >= 0 && low[done.node] >= disc[parent.node]) is_cut[parent.node] = 1;
    if (low[done.node] > disc[parent.node]) {
      bridges.emplace_back(std::min(parent.node, done.node), std::max(parent.node, done.node));
    }
  }
}

// `from` hears `to`, `to` does not hear `from`: proven one-way when `from` received from `to`
// at least the margin after `to` last received from `from` (the two directions stopped at
// different times, not at one cut), and `to`'s report is current next to that receipt (within
// its interval: a deaf end whose snapshot is late, queued or replayed may describe a link that
// has healed since, or one that was cut both ways a moment before the other end reported).
bool OneWayProven(const FleetModel& model, int from, int to) {
  const absl::Time heard = model.LastReceived(from, to);
  if (heard - model.LastReceived(to, from) < model.one_way_margin) return false;
  const NodeFacts& deaf = model.nodes[to];
  return deaf.taken + deaf.interval >= heard;
}

// Components (ordered by weight), cut vertices and bridge edges of g.mutual, made afresh.
void FindComponents(const FleetModel& model, PeerGraph& g) {
  const int n = static_cast<int>(model.nodes.size());
  g.component_of.assign(n, -1);
  g.components.clear();
  g.component_weight.clear();
  g.cut_vertices.clear();
  g.bridge_edges.clear();
  std::vector<int> queue;
  for (int s = 0; s < n; ++s) {
    if (!InGraph(model.nodes[s]) || g.component_of[s] >= 0) continue;
    int id = static_cast<int>(g.components.size());
    g.components.emplace_back();
    std::vector<int>& members = g.components.back();
    queue.assign(1, s);
    g.component_of[s] = id;
    for (size_t head = 0; head < queue.size(); ++head) {
      int u = queue[head];
      members.push_back(u);
      for (int v : g.mutual[u]) {
        if (g.component_of[v] < 0) {
          g.component_of[v] = id;
          queue.push_back(v);
        }
      }
    }
    std::sort(members.begin(), members.end());
  }

  // Order components by weight, heaviest first; ids follow the new order.
  std::vector<uint64_t> weight(g.components.size(), 0);
  for (size_t c = 0; c < g.components.size(); ++c) {
    for (int u : g.components[c]) weight[c] += model.nodes[u].weight;
  }
  std::vector<size_t> order(g.components.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (weight[a] != weight[b]) return weight[a] > weight[b];
    return g.components[a].size() > g.components[b].size();
  });
  std::vector<std::vector<int>> sorted;
  for (size_t i = 0; i < order.size(); ++i) {
    sorted.push_back(std::move(g.components[order[i]]));
    g.component_weight.push_back(weight[order[i]]);
    for (int u : sorted.back()) g.component_of[u] = static_cast<int>(i);
  }
  g.components = std::move(sorted);

  std::vector<int> disc(n, -1), low(n, 0);
  std::vector<char> is_cut(n, 0);
  int timer = 0;
  for (const std::vector<int>& members : g.components) {
    if (members.size() > 2) FindCuts(g, members.front(), disc, low, is_cut, g.bridge_edges, timer);
  }
  for (int u = 0; u < n; ++u) {
    if (is_cut[u]) g.cut_vertices.push_back(u);
  }
  std::sort(g.bridge_edges.begin(), g.bridge_edges.end());
}

// Node u's mutual peers into `mutual` (cleared first), and its one-sided links to `one_sided`.
template <typename OneSided>
void LinksOf(const FleetModel& model, int u, std::vector<int>& mutual, OneSided&& one_sided) {
  mutual.clear();
  const NodeFacts& f = model.nodes[u];
  if (!InGraph(f)) return;
  mutual.reserve(f.hears.size());
  for (int v : f.hears) {
    if (!InGraph(model.nodes[v])) continue;
    if (model.Hears(v, u)) {
      mutual.push_back(v);
    } else {
      one_sided(v);
    }
  }
}

}  // namespace

PeerGraph BuildPeerGraph(const FleetModel& model) {
  const int n = static_cast<int>(model.nodes.size());
  PeerGraph g;
  g.mutual.resize(n);
  for (int u = 0; u < n; ++u) {
    LinksOf(model, u, g.mutual[u], [&](int v) {
      if (OneWayProven(model, u, v)) {
        g.one_way.emplace_back(u, v);
      } else {
        g.pending_one_way.emplace_back(u, v);
      }
    });
  }
  FindComponents(model, g);
  return g;
}

void PeerGraphMemory::Remember(const FleetModel& model) {
  const size_t n = model.nodes.size();
  build_ = model.build;
  in_graph_.resize(n);
  weight_.resize(n);
  for (size_t u = 0; u < n; ++u) {
    in_graph_[u] = InGraph(model.nodes[u]) ? 1 : 0;
    weight_[u] = model.nodes[u].weight;
  }
  one_sided_.clear();
  std::merge(graph_.one_way.begin(), graph_.one_way.end(), graph_.pending_one_way.begin(),
             graph_.pending_one_way.end(), std::back_inserter(one_sided_));
}

const PeerGraph& PeerGraphMemory::Build(const FleetModel& model) {
  const int n = static_cast<int>(model.nodes.size());
  bool incremental = model.Follows(build_, in_graph_.size());
  // Which nodes changed: their heard list, or their weight (the components' order). A node
  // entering or leaving the graph changes the links of the nodes that hear it, which only a
  // full pass finds.
  std::vector<int> changed;
  bool weights_changed = false;
  for (int u = 0; incremental && u < n; ++u) {
    const NodeFacts& f = model.nodes[u];
    if ((InGraph(f) ? 1 : 0) != in_graph_[u]) incremental = false;
    if (f.weight != weight_[u]) {
      weight_[u] = f.weight;
      weights_changed = true;
    }
    if (model.hears_changed[u]) changed.push_back(u);
  }
  last_incremental_ = incremental;
  if (!incremental) {
    graph_ = BuildPeerGraph(model);
    Remember(model);
    return graph_;
  }
  build_ = model.build;
  // The nodes whose mutual edges or one-sided links may have changed: a changed node, the peers
  // it had a mutual edge with, and the peers it hears now (with the graph's nodes fixed, an edge
  // u-v changes only when one end's list does; see peer_graph_test for the cases).
  affected_.assign(n, 0);
  std::vector<int> redo;
  auto mark = [&](int u) {
    if (!affected_[u]) {
      affected_[u] = 1;
      redo.push_back(u);
    }
  };
  for (int v : changed) {
    mark(v);
    for (int u : graph_.mutual[v]) mark(u);
    if (!in_graph_[v]) continue;
    for (int u : model.nodes[v].hears) {
      if (in_graph_[u]) mark(u);
    }
  }
  std::sort(redo.begin(), redo.end());
  bool mutual_changed = false;
  if (!redo.empty()) {
    std::erase_if(one_sided_, [&](const std::pair<int, int>& e) { return affected_[e.first]; });
    std::vector<int> mutual;
    for (int u : redo) {
      LinksOf(model, u, mutual, [&](int v) { one_sided_.emplace_back(u, v); });
      if (mutual != graph_.mutual[u]) {
        graph_.mutual[u].swap(mutual);
        mutual_changed = true;
      }
    }
    std::sort(one_sided_.begin(), one_sided_.end());
  }
  graph_.one_way.clear();
  graph_.pending_one_way.clear();
  for (const auto& [u, v] : one_sided_) {
    if (OneWayProven(model, u, v)) {
      graph_.one_way.emplace_back(u, v);
    } else {
      graph_.pending_one_way.emplace_back(u, v);
    }
  }
  if (mutual_changed || weights_changed) FindComponents(model, graph_);
  return graph_;
}

std::vector<std::vector<int>> GroupsAround(const PeerGraph& graph, int cut) {
  std::vector<std::vector<int>> groups;
  int component = graph.component_of[cut];
  if (component < 0) return groups;
  std::vector<char> seen(graph.mutual.size(), 0);
  seen[cut] = 1;
  for (int start : graph.mutual[cut]) {
    if (seen[start]) continue;
    std::vector<int> group{start};
    seen[start] = 1;
    for (size_t head = 0; head < group.size(); ++head) {
      for (int v : graph.mutual[group[head]]) {
        if (!seen[v]) {
          seen[v] = 1;
          group.push_back(v);
        }
      }
    }
    std::sort(group.begin(), group.end());
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace guts::collector
