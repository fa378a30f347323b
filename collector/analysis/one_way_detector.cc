// One-way faults: u hears v while v does not hear u (ONE_WAY_LINK, the ordered pair of the lost
// direction), and a node whose whole inbound or outbound direction is lost while the other
// works (NODE_ONE_WAY_ISOLATION), which names the node once instead of each of its links.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/runbook.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr std::string_view kNodeOneWayAbsorbs[] = {"LOW_PEERS", "NODE_LAGGING", "NODE_NOT_SYNCING",
                                                   "ONE_WAY_LINK"};
// A small fleet's node that stops receiving from one peer falls below the peer minimum.
constexpr std::string_view kLinkAbsorbs[] = {"LOW_PEERS"};

// A proven one-way link is silence past peer_heard_within at one end while the other end heard
// it later: held for a window already. One tick more, because a link healing after a two-way
// cut shows the same shape until the deaf end's next snapshot (at most about an interval).
constexpr int kOneWayEnterTicks = 2;

constexpr IncidentKindSpec kNodeOneWayIsolation{.name = "NODE_ONE_WAY_ISOLATION",
                                                .wire_kind = v1::NODE_ONE_WAY_ISOLATION,
                                                .severity = v1::P2,
                                                .runbook = &kNetworkPartitionRunbook,
                                                .node_effect = NodeEffect::kIsolated,
                                                .absorbs = kNodeOneWayAbsorbs,
                                                .fold_rank = 130,
                                                .silences_its_nodes = true,
                                                .held_while_graph_partial = true,
                                                .cuts = CutShape::kItsNodes,
                                                .enter_ticks = kOneWayEnterTicks,
                                                .first_command = "net matrix"};
constexpr IncidentKindSpec kOneWayLink{.name = "ONE_WAY_LINK",
                                       .wire_kind = v1::ONE_WAY_LINK,
                                       .severity = v1::P3,
                                       .runbook = &kNetworkPartitionRunbook,
                                       .absorbs = kLinkAbsorbs,
                                       .fold_rank = 150,
                                       .held_while_graph_partial = true,
                                       .enter_ticks = kOneWayEnterTicks,
                                       .first_command = "net matrix"};
constexpr const IncidentKindSpec* kKinds[] = {&kNodeOneWayIsolation, &kOneWayLink};

bool InGraph(const NodeFacts& f) { return f.reporting && f.has_peer_data && !f.process_down; }

void DetectOneWayLinks(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  const PeerGraph& g = in.graph;
  // Both verdicts need a proven one-way link: an isolation needs lost_in or lost_out of at
  // least one below. Without any, the per-session counts are not made (they walked every
  // session of a healthy fleet, and searched each peer's list).
  if (g.one_way.empty()) return;
  const int n = static_cast<int>(model.nodes.size());
  // hears_ok[u]: reporting peers u hears; heard_ok[u]: reporting peers that hear u;
  // peers[u]: reporting peers with a session either way.
  std::vector<int> hears_ok(n, 0), heard_ok(n, 0), peers(n, 0);
  for (int u = 0; u < n; ++u) {
    if (!InGraph(model.nodes[u])) continue;
    for (int peer : model.nodes[u].hears) {
      if (!InGraph(model.nodes[peer])) continue;
      ++hears_ok[u];
      ++heard_ok[peer];
    }
    for (int peer : model.nodes[u].sessions) {
      if (!InGraph(model.nodes[peer])) continue;
      ++peers[u];
      const std::vector<int>& back = model.nodes[peer].sessions;
      if (!std::binary_search(back.begin(), back.end(), u)) ++peers[peer];
    }
  }
  // Proven one-way links (peer_graph.h) into and out of each node: a node's snapshot taken a
  // moment before or after its peers' (a two-way cut one end reported first, a late report)
  // shows the same counts without traffic having gone one way.
  std::vector<int> lost_in(n, 0), lost_out(n, 0);
  for (const auto& [from, to] : g.one_way) {
    ++lost_out[from];
    ++lost_in[to];
  }
  std::vector<char> isolated(n, 0);
  for (int u = 0; u < n; ++u) {
    if (!InGraph(model.nodes[u]) || peers[u] == 0) continue;
    int half = std::max(1, peers[u] / 2);
    const char* direction = nullptr;
    if (hears_ok[u] == 0 && heard_ok[u] >= half && lost_in[u] >= half) direction = "inbound";
    if (heard_ok[u] == 0 && hears_ok[u] >= half && lost_out[u] >= half) direction = "outbound";
    if (direction == nullptr) continue;
    isolated[u] = 1;
    Verdict v = MakeVerdict(kNodeOneWayIsolation, *model.nodes[u].id);
    v.nodes = {*model.nodes[u].id};
    bool inbound = direction[0] == 'i';
    v.summary = inbound ? absl::StrCat(v.nodes[0], " receives from no peer while ", heard_ok[u],
                                       " peers hear it (direction inbound)")
                        : absl::StrCat("no peer hears ", v.nodes[0], " while it hears ",
                                       hears_ok[u], " peers (direction outbound)");
    v.evidence["direction"] = direction;
    v.evidence["peers it hears"] = absl::StrCat(hears_ok[u]);
    v.evidence["peers hearing it"] = absl::StrCat(heard_ok[u]);
    out.push_back(std::move(v));
  }
  for (const auto& [from, to] : g.one_way) {
    if (isolated[from] || isolated[to]) {
      continue;  // folded into the node's one-way isolation
    }
    const std::string& a = *model.nodes[from].id;
    const std::string& b = *model.nodes[to].id;
    Verdict v = MakeVerdict(kOneWayLink, absl::StrCat(a, "->", b));
    v.links.push_back(MakeLink(model, from, to));
    v.nodes = {a, b};
    std::sort(v.nodes.begin(), v.nodes.end());
    v.summary = absl::StrCat("one-way link: ", b, " does not receive from ", a, " (", a, "->", b,
                             " lost) while ", a, " hears ", b);
    v.evidence[absl::StrCat(a, " hears ", b)] = "yes";
    v.evidence[absl::StrCat(b, " hears ", a)] = "no";
    out.push_back(std::move(v));
  }
}

}  // namespace

extern const Detector kOneWayDetector;
const Detector kOneWayDetector{.name = "one_way", .run = DetectOneWayLinks, .kinds = kKinds};

}  // namespace guts::collector
