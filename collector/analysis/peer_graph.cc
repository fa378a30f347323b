#include "collector/analysis/peer_graph.h"

#include <algorithm>

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

}  // namespace

PeerGraph BuildPeerGraph(const FleetModel& model) {
  const int n = static_cast<int>(model.nodes.size());
  PeerGraph g;
  g.mutual.resize(n);
  g.component_of.assign(n, -1);
  for (int u = 0; u < n; ++u) {
    const NodeFacts& f = model.nodes[u];
    if (!InGraph(f)) continue;
    g.mutual[u].reserve(f.hears.size());
    for (int v : f.hears) {
      if (!InGraph(model.nodes[v])) continue;
      if (model.Hears(v, u)) {
        g.mutual[u].push_back(v);
      } else if (OneWayProven(model, u, v)) {
        g.one_way.emplace_back(u, v);
      } else {
        g.pending_one_way.emplace_back(u, v);
      }
    }
  }

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
  return g;
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
