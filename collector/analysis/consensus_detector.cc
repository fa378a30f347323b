// Consensus: the fleet height not moving for the stall threshold (CONSENSUS_STUCK, with views
// climbing vs an application halt), a node falling behind the quorum height with its lag
// growing (NODE_LAGGING; a node catching up has a shrinking lag and is left alone), a node
// whose height does not move at all (NODE_NOT_SYNCING), and a fleet one validator loss away
// from halting (QUORUM_AT_RISK).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/quorum_margin.h"
#include "collector/analysis/runbook.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// A halted chain stops every node's height: their lag is the halt's.
constexpr std::string_view kStuckAbsorbs[] = {"NODE_LAGGING", "NODE_NOT_SYNCING"};

constexpr std::string_view kNodeNotSyncingSteps[] = {
    "gutsctl node history <node>: height and peers over time",
    "check the node's CPU, disk and peer count",
    "collect a bundle: gutsctl diag collect --node <node>"};
constexpr RunbookSpec kNodeNotSyncingRunbook{.name = "node-not-syncing",
                                             .steps = kNodeNotSyncingSteps};

constexpr IncidentKindSpec kConsensusStuck{.name = "CONSENSUS_STUCK",
                                           .wire_kind = v1::CONSENSUS_STUCK,
                                           .severity = v1::P1,
                                           .runbook = &kConsensusStalledRunbook,
                                           .node_effect = NodeEffect::kNone,
                                           .absorbs = kStuckAbsorbs,
                                           .fold_rank = 160,
                                           .fleet_wide = true,
                                           .height_updates_incident = false,
                                           .first_command = "fleet status"};
constexpr IncidentKindSpec kNodeLagging{.name = "NODE_LAGGING",
                                        .wire_kind = v1::NODE_LAGGING,
                                        .severity = v1::P2,
                                        .runbook = &kNodeNotSyncingRunbook};
constexpr IncidentKindSpec kNodeNotSyncing{.name = "NODE_NOT_SYNCING",
                                           .wire_kind = v1::NODE_NOT_SYNCING,
                                           .severity = v1::P2,
                                           .runbook = &kNodeNotSyncingRunbook};
constexpr IncidentKindSpec kQuorumAtRisk{.name = "QUORUM_AT_RISK",
                                         .wire_kind = v1::QUORUM_AT_RISK,
                                         .severity = v1::P2,
                                         .runbook = &kValidatorDownRunbook,
                                         .node_effect = NodeEffect::kNone,
                                         .fleet_wide = true,
                                         .first_command = "fleet status"};
constexpr const IncidentKindSpec* kKinds[] = {&kConsensusStuck, &kNodeLagging, &kNodeNotSyncing,
                                              &kQuorumAtRisk};
constexpr ConfigWindow kWindows[] = {&AnalysisConfig::stall_threshold, &AnalysisConfig::lag_window,
                                     &AnalysisConfig::not_syncing_after};

void Stuck(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  const AnalysisHistory& h = in.history;
  if (!h.started || model.reporting == 0) return;
  // A stall that began while the network was split belongs to the partition, which absorbs
  // it. Once the network is whole again the chain gets a full stall threshold to resume (views
  // must time out and nullify first) before it counts as stuck on its own.
  absl::Time since = h.progress_at;
  if (in.graph.components.size() <= 1) since = std::max(since, h.last_split_at);
  absl::Duration stalled = model.now - since;
  if (stalled < in.config.stall_threshold) return;
  Verdict v = MakeVerdict(kConsensusStuck);
  v.height = h.progress_height;
  std::vector<int> validators;
  for (int u = 0; u < static_cast<int>(model.nodes.size()); ++u) {
    if (model.nodes[u].validator) validators.push_back(u);
  }
  v.nodes = SortedNodeNames(model, validators);
  std::string cause;
  const bool simplex = model.mode == v1::CONSENSUS_MODE_SIMPLEX;
  if (model.max_view == 0) {
    cause = simplex ? "unknown (no `proposed new block` round seen)"
                    : "unknown (the nodes expose no view)";
  } else if (model.max_view >= h.view_at_progress + 2) {
    cause = "views climbing";
  } else {
    cause = "application halt (view steady)";
  }
  v.summary = absl::StrCat("no finalized block for ", SecondsText(stalled), " at height ",
                           h.progress_height, "; cause: ", cause);
  v.evidence["cause"] = cause;
  v.evidence["last height"] = absl::StrCat(h.progress_height);
  v.evidence["no new block for"] = SecondsText(stalled);
  v.evidence["view at last block"] = absl::StrCat(h.view_at_progress);
  v.evidence["view now"] = absl::StrCat(model.max_view);
  v.evidence["views from"] = simplex ? "rounds of `proposed new block` log lines" : "node API";
  out.push_back(std::move(v));
}

void Behind(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  if (model.quorum_height == 0) return;
  for (const NodeFacts& f : model.nodes) {
    // A snapshot without a height (SnapshotFigures::height_known) is not a node at height 0.
    if (!f.reporting || !f.height_known || f.height >= model.quorum_height) continue;
    uint64_t lag = model.quorum_height - f.height;
    const NodeHistory* found = in.history.Node(f.number);
    if (found == nullptr) continue;
    const NodeHistory& nh = *found;
    absl::Duration unchanged = model.now - nh.height_changed;
    if (nh.height == f.height && unchanged >= in.config.not_syncing_after) {
      Verdict v = MakeVerdict(kNodeNotSyncing, *f.id);
      v.nodes = {*f.id};
      v.height = f.height;
      v.summary = absl::StrCat(*f.id, " stuck at height ", f.height, " for ",
                               SecondsText(unchanged), ", ", lag, " behind the quorum height");
      v.evidence["height"] = absl::StrCat(f.height);
      v.evidence["quorum height"] = absl::StrCat(model.quorum_height);
      v.evidence["unchanged for"] = SecondsText(unchanged);
      out.push_back(std::move(v));
      continue;
    }
    if (lag < in.config.lag_threshold) continue;
    const LagWindow::Trend trend = nh.lag.Summary();
    if (trend.samples < 2) continue;
    // Growing: the lag now is the largest of the window and larger than its start. A node
    // catching up after a restart has a shrinking lag and stays quiet (S15).
    uint64_t oldest = trend.oldest, largest = trend.largest;
    absl::Duration span = model.now - trend.oldest_at;
    if (lag < largest || lag <= oldest || span < in.config.lag_window / 2) continue;
    Verdict v = MakeVerdict(kNodeLagging, *f.id);
    v.nodes = {*f.id};
    v.height = f.height;
    v.summary = absl::StrCat(*f.id, " falling behind: lag ", lag, " blocks (was ", oldest, " ",
                             SecondsText(span), " ago)");
    v.evidence["lag"] = absl::StrCat(lag);
    v.evidence["lag at window start"] = absl::StrCat(oldest);
    v.evidence["height"] = absl::StrCat(f.height);
    v.evidence["quorum height"] = absl::StrCat(model.quorum_height);
    out.push_back(std::move(v));
  }
}

// Losing the heaviest validator still counted as up would halt the chain. With some weight
// already lost (down, isolated, unheard) it pages (P2); a validator set whose heaviest member
// alone exceeds the margin with every validator up is a note (P3): nothing failed yet.
void QuorumAtRisk(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  if (model.blindness.blind || model.quorum_weight == 0) return;
  const QuorumMargin& m = in.margin;
  if (!m.one_loss_halts) return;
  Verdict v = MakeVerdict(kQuorumAtRisk);
  if (m.lost.empty()) v.severity = v1::P3;
  v.nodes = m.lost.empty() ? std::vector<std::string>{m.heaviest} : m.lost;
  v.summary = absl::StrCat(
      QuorumMarginText(m),
      m.lost.empty() ? "; no validator lost yet" : "; lost: ", absl::StrJoin(m.lost, ","));
  v.evidence["up weight"] = absl::StrCat(m.up_weight);
  v.evidence["quorum_weight"] = absl::StrCat(m.quorum_weight);
  v.evidence["margin"] = absl::StrCat(m.margin);
  v.evidence["heaviest up"] = absl::StrCat(m.heaviest, " (", m.heaviest_weight, ")");
  if (!m.lost.empty()) v.evidence["lost"] = absl::StrJoin(m.lost, ",");
  out.push_back(std::move(v));
}

void DetectConsensus(const DetectorInput& in, std::vector<Verdict>& out) {
  Stuck(in, out);
  Behind(in, out);
  QuorumAtRisk(in, out);
}

}  // namespace

extern const Detector kConsensusDetector;
const Detector kConsensusDetector{
    .name = "consensus", .run = DetectConsensus, .kinds = kKinds, .windows = kWindows};

}  // namespace guts::collector
