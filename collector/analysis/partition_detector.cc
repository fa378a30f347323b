// Partitions from the components of the mutual-hearing graph: a split where one side holds the
// quorum (PARTITION, names the minority), a split where none does (PARTITION_NO_QUORUM: the
// chain halts), groups joined only through bridge nodes (PARTIAL_PARTITION), and single nodes
// cut from every peer (NODE_ISOLATED).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// A node alone in its component that neither hears nor is heard by any reporting peer. One-way
// cases (it hears, or is heard) belong to the one-way detector.
bool FullyCut(const FleetModel& model, int u) {
  const NodeFacts& f = model.nodes[u];
  if (f.heard_by > 0) return false;
  for (int v : f.hears) {
    if (model.nodes[v].reporting) return false;
  }
  return true;
}

void AddGroups(const FleetModel& model, const PeerGraph& g, Verdict& v) {
  for (size_t c = 0; c < g.components.size(); ++c) {
    v.groups.push_back(Group(model, g.components[c], model.quorum_weight));
    v.evidence[absl::StrCat("group ", c + 1)] = GroupText(v.groups.back());
  }
  v.evidence["quorum_weight"] = absl::StrCat(model.quorum_weight);
  v.evidence["total_weight"] = absl::StrCat(model.total_weight);
}

void SplitVerdict(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  const PeerGraph& g = in.graph;
  int multi = 0;
  for (const auto& c : g.components) multi += c.size() >= 2 ? 1 : 0;
  bool quorum_side = !g.components.empty() && g.component_weight[0] >= model.quorum_weight;
  Verdict v;
  if (!quorum_side && g.components.size() >= 2) {
    v.kind = v1::PARTITION_NO_QUORUM;
    v.severity = v1::P1;
    std::vector<int> all;
    for (const auto& c : g.components) all.insert(all.end(), c.begin(), c.end());
    v.nodes = Names(model, all);
  } else if (quorum_side && multi >= 2) {
    v.kind = v1::PARTITION;
    v.severity = v1::P2;
    std::vector<int> minority;
    for (size_t c = 1; c < g.components.size(); ++c) {
      minority.insert(minority.end(), g.components[c].begin(), g.components[c].end());
    }
    v.nodes = Names(model, minority);
  } else {
    return;
  }
  v.cause_key = "PARTITION";
  AddGroups(model, g, v);
  std::vector<std::string> sides;
  for (const v1::NodeGroup& group : v.groups) sides.push_back(absl::StrCat(group.nodes_size()));
  v.summary =
      v.kind == v1::PARTITION_NO_QUORUM
          ? absl::StrCat("network split ", absl::StrJoin(sides, "|"), ", no side holds quorum (",
                         g.component_weight[0], " of ", model.quorum_weight,
                         " needed): chain halted")
          : absl::StrCat("network split ", absl::StrJoin(sides, "|"), "; quorum side ",
                         GroupText(v.groups[0]), ", cut off: ", absl::StrJoin(v.nodes, ","));
  v.height = model.max_height;
  out.push_back(std::move(v));
}

void IsolatedNodes(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  if (model.reporting < 2) return;
  for (const auto& c : in.graph.components) {
    if (c.size() != 1 || !FullyCut(model, c[0])) continue;
    int u = c[0];
    Verdict v;
    v.kind = v1::NODE_ISOLATED;
    v.severity = v1::P2;
    v.nodes = {*model.nodes[u].id};
    v.cause_key = absl::StrCat("NODE_ISOLATED:", v.nodes[0]);
    v.summary = absl::StrCat(v.nodes[0], " reports but hears no peer and no peer hears it");
    v.evidence["sessions"] = absl::StrCat(model.nodes[u].sessions.size());
    // emplace, not `= "0"`: that trips GCC 12's -Wrestrict at -O3 (a false positive).
    v.evidence.emplace("peers heard", "0");
    v.evidence.emplace("heard by", "0");
    out.push_back(std::move(v));
  }
}

void Bridges(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  const PeerGraph& g = in.graph;
  // A cut vertex that only holds a leaf is a low-peer problem, not a partial partition: require
  // two separated groups of at least two nodes each. Large fleets rarely have cut vertices, and
  // each costs a graph search, so only the first few are examined.
  constexpr size_t kMaxExamined = 8;
  std::vector<int> bridges;
  std::vector<std::vector<int>> groups;
  for (size_t i = 0; i < g.cut_vertices.size() && i < kMaxExamined; ++i) {
    int cut = g.cut_vertices[i];
    std::vector<std::vector<int>> around = GroupsAround(g, cut);
    int big = 0;
    for (const auto& group : around) big += group.size() >= 2 ? 1 : 0;
    if (big < 2) continue;
    bridges.push_back(cut);
    for (auto& group : around) {
      if (group.size() >= 2) groups.push_back(std::move(group));
    }
  }
  if (bridges.empty()) return;
  // Groups around one bridge contain the other bridges; keep each distinct group once.
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  Verdict v;
  v.kind = v1::PARTIAL_PARTITION;
  absl::Duration stalled = model.now - in.history.progress_at;
  bool halted = in.history.started && stalled >= in.config.progress_stall;
  v.severity = halted ? v1::P1 : v1::P2;
  v.nodes = Names(model, bridges);
  v.cause_key = absl::StrCat("PARTIAL_PARTITION:", absl::StrJoin(v.nodes, ","));
  for (const auto& group : groups) {
    v.groups.push_back(Group(model, group, model.quorum_weight));
  }
  std::vector<std::string> texts;
  for (const v1::NodeGroup& group : v.groups) texts.push_back(GroupText(group));
  v.summary = absl::StrCat("groups ", absl::StrJoin(texts, " and "), " linked only through ",
                           absl::StrJoin(v.nodes, ","),
                           halted ? "; no block since " + Seconds(stalled) : "");
  // Every link between two groups is cut: the groups are apart in the hearing graph. Listed
  // (up to a cap) so that the incident and `net partitions` name them.
  constexpr size_t kMaxLinks = 256;
  size_t cut = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    for (size_t j = i + 1; j < groups.size(); ++j) {
      for (int a : groups[i]) {
        for (int b : groups[j]) {
          ++cut;
          if (v.links.size() < kMaxLinks) v.links.push_back(MakeLink(model, a, b));
        }
      }
    }
  }
  v.evidence["cut links"] = absl::StrCat(cut);
  v.evidence["bridges"] = absl::StrJoin(v.nodes, ",");
  v.evidence["groups"] = absl::StrJoin(texts, " ");
  v.evidence["no new block for"] = Seconds(stalled);
  v.height = model.max_height;
  out.push_back(std::move(v));
}

}  // namespace

void DetectPartitions(const DetectorInput& in, std::vector<Verdict>& out) {
  SplitVerdict(in, out);
  IsolatedNodes(in, out);
  Bridges(in, out);
}

}  // namespace guts::collector
