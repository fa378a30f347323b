// Partitions from the components of the mutual-hearing graph: a split where one side holds the
// quorum (PARTITION, names the minority), a split where none does (PARTITION_NO_QUORUM: the
// chain halts), groups joined only through bridge nodes (PARTIAL_PARTITION), and single nodes
// cut from every peer (NODE_ISOLATED).
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/network_sides.h"
#include "collector/analysis/runbook.h"
#include "collector/analysis/verdict_parts.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// Symptoms a split explains: its members' isolation, peer losses and lag, the halt of the chain.
constexpr std::string_view kSplitAbsorbs[] = {
    "PARTIAL_PARTITION", "NODE_ISOLATED", "NODE_ONE_WAY_ISOLATION", "LOW_PEERS", "NODE_LAGGING",
    "NODE_NOT_SYNCING", "NODE_DOWN", "ONE_WAY_LINK", "FLEET_PEER_LOSS", "CONSENSUS_STUCK",
    "QUORUM_AT_RISK",
    // Unobserved validators nobody hears, on the unheard side of the split.
    "VALIDATOR_UNREACHABLE"};
constexpr std::string_view kNoQuorumAbsorbs[] = {"PARTITION",
                                                 "PARTIAL_PARTITION",
                                                 "NODE_ISOLATED",
                                                 "NODE_ONE_WAY_ISOLATION",
                                                 "LOW_PEERS",
                                                 "NODE_LAGGING",
                                                 "NODE_NOT_SYNCING",
                                                 "NODE_DOWN",
                                                 "ONE_WAY_LINK",
                                                 "FLEET_PEER_LOSS",
                                                 "CONSENSUS_STUCK",
                                                 "QUORUM_AT_RISK",
                                                 "VALIDATOR_UNREACHABLE"};
constexpr std::string_view kPartialAbsorbs[] = {
    "LOW_PEERS",       "NODE_LAGGING",    "NODE_NOT_SYNCING", "ONE_WAY_LINK",
    "FLEET_PEER_LOSS", "CONSENSUS_STUCK", "QUORUM_AT_RISK"};
constexpr std::string_view kIsolatedAbsorbs[] = {"LOW_PEERS", "NODE_LAGGING", "NODE_NOT_SYNCING"};

constexpr std::string_view kValidatorUnreachableSteps[] = {
    "no agent runs beside this validator: ask its operator (organisation in the validators "
    "file) whether it runs",
    "from an observed node: nc -vz <its P2P address> to tell refused from timed out",
    "gutsctl fleet status: which observed nodes still hear it"};
constexpr RunbookSpec kValidatorUnreachableRunbook{.name = "validator-unreachable",
                                                   .steps = kValidatorUnreachableSteps};

// A cut is links silent past peer_heard_within, each confirmed by both of its ends (a pair only
// one end reports yet holds the split back, PeerGraph::pending_one_way; an isolated node hears
// nobody and nobody hears it): the silence is the hysteresis, so one tick opens it.
constexpr int kCutEnterTicks = 1;
// Except a bridge: a forming split passes through that shape. Its border links do not all
// cross the window in the same snapshot, so for a tick some nodes still hear both sides (S04's
// three-way split of nine showed v2 and v8 as bridges for one tick beside a second build).
constexpr int kBridgeEnterTicks = 2;
// And a validator without an agent: only its peers speak for it, and as a split forms it can be
// the one node a side has stopped hearing for a tick before the groups show (S25 beside a
// second build: VALIDATOR_UNREACHABLE v5 next to the 4|3 split of agents on v1-v4).
constexpr int kUnobservedEnterTicks = 2;

// PARTITION and PARTITION_NO_QUORUM are one cause ("PARTITION"): a split that gains or loses
// its quorum side updates its incident.
constexpr IncidentKindSpec kPartition{.name = "PARTITION",
                                      .wire_kind = v1::PARTITION,
                                      .severity = v1::P2,
                                      .runbook = &kNetworkPartitionRunbook,
                                      .absorbs = kSplitAbsorbs,
                                      .fold_rank = 30,
                                      .held_while_graph_partial = true,
                                      .cuts = CutShape::kGroups,
                                      .enter_ticks = kCutEnterTicks,
                                      .first_command = "net partitions"};
constexpr IncidentKindSpec kPartitionNoQuorum{.name = "PARTITION_NO_QUORUM",
                                              .wire_kind = v1::PARTITION_NO_QUORUM,
                                              .severity = v1::P1,
                                              .cause_name = "PARTITION",
                                              .runbook = &kNetworkPartitionRunbook,
                                              .absorbs = kNoQuorumAbsorbs,
                                              .fold_rank = 20,
                                              .held_while_graph_partial = true,
                                              .cuts = CutShape::kGroups,
                                              .enter_ticks = kCutEnterTicks,
                                              .first_command = "net partitions"};
constexpr IncidentKindSpec kPartialPartition{.name = "PARTIAL_PARTITION",
                                             .wire_kind = v1::PARTIAL_PARTITION,
                                             .severity = v1::P2,
                                             .runbook = &kNetworkPartitionRunbook,
                                             .absorbs = kPartialAbsorbs,
                                             .fold_rank = 40,
                                             .p1_when_absorbing = "CONSENSUS_STUCK",
                                             .held_while_graph_partial = true,
                                             .cuts = CutShape::kGroups,
                                             .p1_on_throughput_collapse = true,
                                             .bridged_groups = true,
                                             .enter_ticks = kBridgeEnterTicks,
                                             .first_command = "net partitions"};
constexpr IncidentKindSpec kNodeIsolated{.name = "NODE_ISOLATED",
                                         .wire_kind = v1::NODE_ISOLATED,
                                         .severity = v1::P2,
                                         .runbook = &kNetworkPartitionRunbook,
                                         .node_effect = NodeEffect::kIsolated,
                                         .absorbs = kIsolatedAbsorbs,
                                         .fold_rank = 120,
                                         .silences_its_nodes = true,
                                         .held_while_graph_partial = true,
                                         .cuts = CutShape::kItsNodes,
                                         .enter_ticks = kCutEnterTicks,
                                         .first_command = "net matrix"};
constexpr IncidentKindSpec kValidatorUnreachable{.name = "VALIDATOR_UNREACHABLE",
                                                 .wire_kind = v1::VALIDATOR_UNREACHABLE,
                                                 .severity = v1::P2,
                                                 .runbook = &kValidatorUnreachableRunbook,
                                                 .held_while_graph_partial = true,
                                                 .enter_ticks = kUnobservedEnterTicks};
constexpr const IncidentKindSpec* kKinds[] = {&kPartition, &kPartitionNoQuorum, &kPartialPartition,
                                              &kNodeIsolated, &kValidatorUnreachable};
// How long without a new block makes a partial partition P1.
constexpr ConfigWindow kWindows[] = {&AnalysisConfig::progress_stall};

// A node alone in its component that neither hears nor is heard by any reporting peer. One-way
// cases (it hears, or is heard) belong to the one-way detector.
bool FullyCut(const FleetModel& model, int u) {
  const NodeFacts& f = model.nodes[u];
  if (f.heard_by > 0) return false;
  for (int peer : f.hears) {
    if (model.nodes[peer].reporting) return false;
  }
  return true;
}

// Whether a pair only one end reports as lost joins two of the groups (`group_of`, -1: in
// none): the other end's next snapshot says whether the groups are really apart.
bool PendingAcross(const PeerGraph& g, const std::vector<int>& group_of) {
  return std::any_of(g.pending_one_way.begin(), g.pending_one_way.end(), [&](const auto& p) {
    int a = group_of[p.first], b = group_of[p.second];
    return a >= 0 && b >= 0 && a != b;
  });
}

// A link still heard but quiet longer than a live link ever is (FleetModel::live_quiet_longest):
// it may be the last of a cut's links to cross peer_heard_within, its heartbeat later than the
// others'. Groups it holds together may be a moment of a cut still forming.
bool Aging(const FleetModel& model, int u, int v) {
  auto quiet = [&](int a, int b) {
    std::optional<absl::Duration> age = model.ReceiveAge(a, b);
    return age && *age > model.live_quiet_longest;
  };
  return quiet(u, v) || quiet(v, u);
}

// Whether a heard link is aging at a node that already lost a link to another group: the
// groups may not be final yet (a 4|3 split passes through 5|2 while its links cross the window
// a heartbeat apart). Which nodes border another group is settled first, once per node: only
// their links' ages are looked up (asking every mutual link for its ages first was a tenth of
// a healthy 10 000-node tick, where no node borders another group).
bool SplitSettling(const FleetModel& model, const PeerGraph& g) {
  if (g.components.size() < 2) return false;  // one group (or none): nothing borders another
  // A mutual link is heard at both ends, so an aging one has an end in quiet_heard: with none,
  // no node's sessions need reading (most splits once they have formed).
  if (model.quiet_heard.empty()) return false;
  const int n = static_cast<int>(g.mutual.size());
  std::vector<char> borders(n, 0);
  bool any = false;
  for (int u = 0; u < n; ++u) {
    const int own = g.component_of[u];
    if (own < 0) continue;  // outside the graph: no mutual links
    for (int x : model.nodes[u].sessions) {
      const int c = g.component_of[x];
      if (c >= 0 && c != own) {
        borders[u] = 1;
        any = true;
        break;
      }
    }
  }
  if (!any) return false;
  for (int u = 0; u < n; ++u) {
    for (int w : g.mutual[u]) {
      if (w > u && (borders[u] || borders[w]) && Aging(model, u, w)) return true;
    }
  }
  return false;
}

void SplitVerdict(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  if (PendingAcross(in.graph, in.graph.component_of)) return;
  if (SplitSettling(model, in.graph)) return;
  const std::vector<NetworkSide> sides = NetworkSides(model, in.graph);
  int multi = 0;
  for (const NetworkSide& side : sides) multi += side.size() >= 2 ? 1 : 0;
  bool quorum_side = !sides.empty() && sides[0].weight >= model.quorum_weight;
  const IncidentKindSpec* kind = nullptr;
  std::vector<const NetworkSide*> named;
  if (!quorum_side && sides.size() >= 2) {
    kind = &kPartitionNoQuorum;
    for (const NetworkSide& side : sides) named.push_back(&side);
  } else if (quorum_side && multi >= 2) {
    kind = &kPartition;
    for (size_t c = 1; c < sides.size(); ++c) named.push_back(&sides[c]);
  } else {
    return;
  }
  Verdict v = MakeVerdict(*kind);
  const int first_named = kind == &kPartition ? 1 : 0;
  // The key: every side's members (the groups), by model index and unobserved name. While it is
  // the key of the names the analyzer kept (NamedSides), the names are copied from there.
  VerdictMembers members;
  members.key = SidesKey(model, sides);
  const NamedSides& kept = in.history.named_sides;
  const bool held = kept.Holds(members.key, sides);
  members.key.first_named = first_named;
  if (held && kept.first_named == first_named) {
    v.nodes = kept.nodes;
    members.node_indices = kept.node_indices;
    members.node_groups = kept.node_groups;
  } else {
    v.nodes = SideMemberNames(model, named, &members.node_indices, &members.node_groups);
    // node_groups holds positions in `named`; the groups are every side, in order.
    if (first_named != 0) {
      for (int& g : members.node_groups) g += first_named;
    }
  }
  std::vector<std::string> unobserved;
  size_t undescribed = 0, undescribed_members = 0;
  for (size_t c = 0; c < sides.size(); ++c) {
    if (held) {
      RefreshSideGroup(model, sides[c], v.groups.emplace_back(kept.groups[c]));
    } else {
      v.groups.push_back(SideGroup(model, sides[c]));
    }
    for (int k : sides[c].unobserved) unobserved.push_back(model.unobserved[k].entry->name);
    if (!SideDescribed(sides, c)) {
      ++undescribed;
      undescribed_members += sides[c].size();
      continue;
    }
    v.evidence[absl::StrCat("group ", c + 1)] =
        held ? kept.group_texts[c] : GroupText(v.groups.back());
    if (sides[c].unheard) {
      v.evidence[absl::StrCat("group ", c + 1, " is")] =
          "validators without an agent that no observed node hears: down or cut off cannot be "
          "told apart without an agent";
    }
  }
  if (undescribed > 0) {
    v.evidence["more groups"] = absl::StrCat(undescribed, " more sides of ", undescribed_members,
                                             " nodes in all, each named in the incident's groups");
  }
  v.SetMembers(std::move(members));
  v.evidence["quorum_weight"] = absl::StrCat(model.quorum_weight);
  v.evidence["total_weight"] = absl::StrCat(model.total_weight);
  if (!unobserved.empty()) {
    std::sort(unobserved.begin(), unobserved.end());
    v.evidence["unobserved"] =
        absl::StrCat(absl::StrJoin(unobserved, ","), " (no agent: placed by who hears them)");
  }
  std::vector<std::string> sizes;
  for (size_t c = 0; c < v.groups.size() && c < kSidesDescribed; ++c) {
    sizes.push_back(absl::StrCat(v.groups[c].nodes_size()));
  }
  if (v.groups.size() > kSidesDescribed) {
    sizes.push_back(absl::StrCat("... (", v.groups.size(), " sides)"));
  }
  const bool simplex = model.mode == v1::CONSENSUS_MODE_SIMPLEX;
  std::string quorum_text =
      simplex ? absl::StrCat("largest side ", sides[0].weight, " of ", model.total_weight,
                             " votes, quorum ", model.quorum_weight, " of ", model.total_weight,
                             " votes")
              : absl::StrCat(sides[0].weight, " of ", model.quorum_weight, " needed");
  v.summary = v.kind == v1::PARTITION_NO_QUORUM
                  ? absl::StrCat("network split ", absl::StrJoin(sizes, "|"),
                                 ", no side holds quorum (", quorum_text, "): chain halted")
                  : absl::StrCat("network split ", absl::StrJoin(sizes, "|"), "; quorum side ",
                                 v.evidence["group 1"], ", cut off: ",
                                 held && kept.first_named == first_named ? kept.nodes_text
                                                                         : FewNamesText(v.nodes));
  if (!unobserved.empty()) absl::StrAppend(&v.summary, "; unobserved: ", v.evidence["unobserved"]);
  v.height = model.max_height;
  out.push_back(std::move(v));
}

// A validator without an agent that no observed node hears: the observed side can say only
// that it is not heard (and whether probes connect), not whether it is down or cut off.
void UnreachableValidators(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  if (model.observers.empty()) return;
  for (const UnobservedValidator& u : model.unobserved) {
    if (!u.heard_by.empty()) continue;
    const std::string& name = u.entry->name;
    Verdict v = MakeVerdict(kValidatorUnreachable, name);
    v.nodes = {name};
    std::string probes =
        u.reached_by.empty()
            ? "no probe connects to its P2P port"
            : absl::StrCat("probes from ", absl::StrJoin(SortedNodeNames(model, u.reached_by), ","),
                           " still connect to its P2P port");
    v.summary = absl::StrCat(name, " (no agent) is heard by no observed node (",
                             absl::StrJoin(SortedNodeNames(model, model.observers), ","), "); ",
                             probes, "; down or cut off cannot be told apart without an agent");
    v.evidence["not heard by"] = absl::StrJoin(SortedNodeNames(model, model.observers), ",");
    v.evidence["sessions from"] =
        u.sessions_by.empty() ? "none" : absl::StrJoin(SortedNodeNames(model, u.sessions_by), ",");
    v.evidence["probe connects from"] =
        u.reached_by.empty() ? "none" : absl::StrJoin(SortedNodeNames(model, u.reached_by), ",");
    if (!u.entry->addr.empty()) v.evidence["p2p address"] = u.entry->addr;
    if (!u.entry->public_key.empty()) v.evidence["public key"] = u.entry->public_key;
    if (!u.entry->organisation.empty()) v.evidence["organisation"] = u.entry->organisation;
    v.evidence["cannot tell"] = "down or cut off: no agent runs beside it";
    out.push_back(std::move(v));
  }
}

void IsolatedNodes(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  if (model.reporting < 2) return;
  for (const auto& c : in.graph.components) {
    if (c.size() != 1 || !FullyCut(model, c[0])) continue;
    int u = c[0];
    Verdict v = MakeVerdict(kNodeIsolated, *model.nodes[u].id);
    v.nodes = {*model.nodes[u].id};
    v.summary = absl::StrCat(v.nodes[0], " reports but hears no peer and no peer hears it");
    v.evidence["sessions"] = absl::StrCat(model.nodes[u].sessions.size());
    // emplace, not `= "0"`: that trips GCC 12's -Wrestrict at -O3 (a false positive).
    v.evidence.emplace("peers heard", "0");
    v.evidence.emplace("heard by", "0");
    // Quiet sessions held past the window are the hysteresis; no session at all is a restart
    // or a reconnect as much as a cut, and takes the config's ticks.
    if (model.nodes[u].sessions.empty()) v.enter_ticks = 0;
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
  std::vector<int> group_of(model.nodes.size(), -1);
  for (size_t k = 0; k < groups.size(); ++k) {
    for (int u : groups[k]) group_of[u] = std::count(bridges.begin(), bridges.end(), u) ? -1 : k;
  }
  if (PendingAcross(g, group_of)) return;
  // A bridge's own links must be live: an aging one may be a cut still forming around it.
  for (int b : bridges) {
    for (int w : g.mutual[b]) {
      if (Aging(model, b, w)) return;
    }
  }
  absl::Duration stalled = model.now - in.history.progress_at;
  bool halted = in.history.started && stalled >= in.config.progress_stall;
  const std::vector<std::string> bridge_names = SortedNodeNames(model, bridges);
  Verdict v = MakeVerdict(kPartialPartition, absl::StrJoin(bridge_names, ","));
  if (halted) v.severity = v1::P1;
  v.nodes = bridge_names;
  for (const auto& group : groups) {
    v.groups.push_back(NodeGroupOf(model, group, model.quorum_weight));
  }
  std::vector<std::string> texts;
  for (const v1::NodeGroup& group : v.groups) texts.push_back(GroupText(group));
  v.summary = absl::StrCat("groups ", absl::StrJoin(texts, " and "), " linked only through ",
                           absl::StrJoin(v.nodes, ","),
                           halted ? "; no block since " + SecondsText(stalled) : "");
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
  v.evidence["no new block for"] = SecondsText(stalled);
  v.height = model.max_height;
  out.push_back(std::move(v));
}

void DetectPartitions(const DetectorInput& in, std::vector<Verdict>& out) {
  SplitVerdict(in, out);
  UnreachableValidators(in, out);
  IsolatedNodes(in, out);
  Bridges(in, out);
}

}  // namespace

extern const Detector kPartitionDetector;
const Detector kPartitionDetector{
    .name = "partition", .run = DetectPartitions, .kinds = kKinds, .windows = kWindows};

}  // namespace guts::collector
