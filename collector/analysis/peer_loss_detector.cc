// FLEET_PEER_LOSS: many nodes hear at most half of the peers they heard within the baseline
// window, while the graph stays connected (a split is a partition instead). One incident for
// the fleet names every affected node; losses explained by down peers do not count.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/runbook.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr std::string_view kPeerLossAbsorbs[] = {"LOW_PEERS", "ONE_WAY_LINK", "NODE_ISOLATED"};
constexpr IncidentKindSpec kFleetPeerLoss{.name = "FLEET_PEER_LOSS",
                                          .wire_kind = v1::FLEET_PEER_LOSS,
                                          .severity = v1::P2,
                                          .runbook = &kLowPeerCountRunbook,
                                          .absorbs = kPeerLossAbsorbs,
                                          .fold_rank = 100,
                                          .first_command = "net partitions"};
constexpr const IncidentKindSpec* kKinds[] = {&kFleetPeerLoss};
constexpr ConfigWindow kWindows[] = {&AnalysisConfig::peer_baseline_window};

void DetectFleetPeerLoss(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  int multi = 0;
  for (const auto& c : in.graph.components) multi += c.size() >= 2 ? 1 : 0;
  if (multi != 1) return;
  std::vector<int> affected;
  int judged = 0;
  const int n = static_cast<int>(model.nodes.size());
  for (int u = 0; u < n; ++u) {
    // Each node's history is cold by now (known and peers_baseline share its first line).
    if (u + 8 < n && model.nodes[u + 8].number < in.history.nodes.size()) {
      __builtin_prefetch(&in.history.nodes[model.nodes[u + 8].number]);
    }
    const NodeFacts& f = model.nodes[u];
    if (!f.reporting || !f.has_peer_data || f.process_down) continue;
    ++judged;
    const NodeHistory* nh = in.history.Node(f.number);
    if (nh == nullptr || nh->peers_baseline < 2) continue;
    uint32_t baseline = nh->peers_baseline;
    uint32_t heard = static_cast<uint32_t>(f.hears.size());
    // A node hearing its baseline lost nothing: its peers' facts (a cold line each) are read
    // only for the nodes that did.
    if (heard >= baseline) continue;
    uint32_t down_peers = 0;
    for (int peer : f.sessions) down_peers += model.nodes[peer].Up() ? 0 : 1;
    uint32_t lost = baseline - heard;
    lost = lost > down_peers ? lost - down_peers : 0;
    if (2 * lost >= baseline) affected.push_back(u);
  }
  size_t needed =
      std::max<size_t>(3, static_cast<size_t>(std::ceil(in.config.peer_loss_share * judged)));
  if (affected.size() < needed) return;
  Verdict v = MakeVerdict(kFleetPeerLoss);
  v.nodes = SortedNodeNames(model, affected);
  v.summary =
      absl::StrCat(affected.size(), " of ", judged,
                   " nodes lost at least half of their peers; the graph is still connected");
  for (int u : affected) {
    v.evidence[absl::StrCat(*model.nodes[u].id, " peers heard")] =
        absl::StrCat(model.nodes[u].hears.size(), " (was ",
                     in.history.Node(model.nodes[u].number)->peers_baseline, ")");
    if (v.evidence.size() >= 20) break;
  }
  out.push_back(std::move(v));
}

}  // namespace

extern const Detector kFleetPeerLossDetector;
const Detector kFleetPeerLossDetector{
    .name = "fleet_peer_loss", .run = DetectFleetPeerLoss, .kinds = kKinds, .windows = kWindows};

}  // namespace guts::collector
