// CONSENSUS_ENGINE_FAILED: a node's consensus thread died (`Consensus engine task failed` /
// `Consensus engine stopped unexpectedly`) while its process, API and /health keep running.
// Its P2P sessions close and it stops finalizing; those symptoms (isolation, low peers, lag)
// are folded under this cause. P2, or P1 when the validators still running consensus no
// longer hold the quorum.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// A node whose consensus thread died closes its sessions and stops finalizing.
constexpr std::string_view kEngineFailedAbsorbs[] = {
    "NODE_ISOLATED",    "NODE_ONE_WAY_ISOLATION", "LOW_PEERS",     "NODE_LAGGING",
    "NODE_NOT_SYNCING", "ONE_WAY_LINK",           "FLAPPING_LINK", "CONSENSUS_STUCK"};
constexpr std::string_view kEngineFailedSteps[] = {
    "journalctl -u guts-node: the lines before 'Consensus engine task failed'",
    "the API and /health stay up, but the node no longer votes: restart it",
    "collect a bundle first: gutsctl diag collect --node <node>"};
constexpr RunbookSpec kEngineFailedRunbook{.name = "consensus-engine-failed",
                                           .steps = kEngineFailedSteps};
constexpr IncidentKindSpec kConsensusEngineFailed{.name = "CONSENSUS_ENGINE_FAILED",
                                                  .wire_kind = v1::CONSENSUS_ENGINE_FAILED,
                                                  .severity = v1::P2,
                                                  .runbook = &kEngineFailedRunbook,
                                                  .absorbs = kEngineFailedAbsorbs,
                                                  .fold_rank = 70};
constexpr const IncidentKindSpec* kKinds[] = {&kConsensusEngineFailed};

void DetectConsensusEngineFailures(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  std::vector<int> failed;
  uint64_t lost = 0;
  for (const int u : model.by_id) {
    // engine_failed is the facts' copy (the figures' line is cold by now); without a snapshot
    // it is false.
    const NodeFacts& f = model.nodes[u];
    if (f.validator && (IsDown(model, u) || (f.reporting && f.engine_failed))) lost += f.weight;
    if (f.reporting && f.engine_failed) failed.push_back(u);
  }
  if (failed.empty()) return;
  const uint64_t running = model.total_weight > lost ? model.total_weight - lost : 0;
  const bool quorum_lost = running < model.quorum_weight;
  for (const int u : failed) {
    const NodeFacts& f = model.nodes[u];
    Verdict v = MakeVerdict(kConsensusEngineFailed, *f.id);
    if (quorum_lost) v.severity = v1::P1;
    v.nodes = {*f.id};
    v.height = f.height;
    v.summary =
        absl::StrCat("consensus engine stopped on ", *f.id,
                     " (its consensus thread died; API and /health still up), at height ", f.height,
                     quorum_lost ? "; the validators still running hold no quorum" : "");
    if (f.engine_failed) {
      v.evidence["log"] = "Consensus engine task failed / stopped unexpectedly";
    }
    v.evidence["api reachable"] = f.figures->api_reachable ? "yes" : "no";
    v.evidence["peers heard"] = absl::StrCat(f.hears.size());
    v.evidence["weight still running consensus"] = absl::StrCat(running);
    v.evidence["quorum_weight"] = absl::StrCat(model.quorum_weight);
    out.push_back(std::move(v));
  }
}

}  // namespace

extern const Detector kConsensusEngineDetector;
const Detector kConsensusEngineDetector{
    .name = "consensus_engine", .run = DetectConsensusEngineFailures, .kinds = kKinds};

}  // namespace guts::collector
