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

void DetectConsensusEngineFailures(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  std::vector<int> failed;
  uint64_t lost = 0;
  for (const int u : model.by_id) {
    const NodeFacts& f = model.nodes[u];
    if (f.validator &&
        (IsDown(model, u) || (f.reporting && f.figures != nullptr && f.figures->engine_failed))) {
      lost += f.weight;
    }
    if (f.reporting && f.figures != nullptr && f.figures->engine_failed) failed.push_back(u);
  }
  if (failed.empty()) return;
  const uint64_t running = model.total_weight > lost ? model.total_weight - lost : 0;
  const bool quorum_lost = running < model.quorum_weight;
  for (const int u : failed) {
    const NodeFacts& f = model.nodes[u];
    Verdict v;
    v.kind = v1::CONSENSUS_ENGINE_FAILED;
    v.severity = quorum_lost ? v1::P1 : v1::P2;
    v.nodes = {*f.id};
    v.cause_key = absl::StrCat("CONSENSUS_ENGINE_FAILED:", *f.id);
    v.height = f.height;
    v.summary =
        absl::StrCat("consensus engine stopped on ", *f.id,
                     " (its consensus thread died; API and /health still up), at height ", f.height,
                     quorum_lost ? "; the validators still running hold no quorum" : "");
    if (f.figures->engine_failed) {
      v.evidence["log"] = "Consensus engine task failed / stopped unexpectedly";
    }
    v.evidence["api reachable"] = f.figures->api_reachable ? "yes" : "no";
    v.evidence["peers heard"] = absl::StrCat(f.hears.size());
    v.evidence["weight still running consensus"] = absl::StrCat(running);
    v.evidence["quorum_weight"] = absl::StrCat(model.quorum_weight);
    out.push_back(std::move(v));
  }
}

}  // namespace guts::collector
