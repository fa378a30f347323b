// Liveness: a node silent to the collector is judged by what its peers say. Peers stopped
// hearing it: NODE_DOWN. Peers still hear it: the collector alone lost it
// (COLLECTOR_UNREACHABLE, one incident for all such nodes). When the collector itself is
// overloaded, silence proves nothing: silence verdicts are held back and COLLECTOR_DEGRADED
// says why.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

void DetectLiveness(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  const CollectorBlindness& blind = model.blindness;
  if (blind.blind) {
    if (!blind.degraded) return;
    Verdict v;
    v.kind = v1::COLLECTOR_DEGRADED;
    v.severity = v1::P2;
    v.cause_key = "COLLECTOR_DEGRADED";
    v.summary = absl::StrCat(blind.why, "; node silence verdicts held back");
    v.evidence = blind.evidence;
    out.push_back(std::move(v));
    return;
  }
  std::vector<int> unreachable;
  for (int u = 0; u < static_cast<int>(model.nodes.size()); ++u) {
    const NodeFacts& f = model.nodes[u];
    if (!f.has_snapshot) continue;
    if (IsDown(model, u)) {
      Verdict v;
      v.kind = v1::NODE_DOWN;
      v.severity = v1::P2;
      v.nodes = {*f.id};
      v.cause_key = absl::StrCat("NODE_DOWN:", *f.id);
      v.summary = f.silent ? absl::StrCat(*f.id, " silent for ", Seconds(f.silence),
                                          " and no peer hears it")
                           : absl::StrCat(*f.id, "'s agent reports the node unreachable and no ",
                                          "peer hears it");
      v.evidence["last snapshot age"] = Seconds(f.silence);
      v.evidence["phi"] = absl::StrCat(static_cast<int>(f.phi * 10) / 10.0);
      // emplace, not `= "0"`: that trips GCC 12's -Wrestrict at -O3 (a false positive).
      v.evidence.emplace("peers hearing it", "0");
      v.height = f.height;
      out.push_back(std::move(v));
      continue;
    }
    // Peers' figures must postdate the silence before they can vouch for the node: wait until
    // a node that really died would have gone unheard.
    if (f.silent && f.silence > in.config.peer_heard_within + 2 * f.interval) {
      unreachable.push_back(u);
    }
  }
  if (unreachable.empty()) return;
  Verdict v;
  v.kind = v1::COLLECTOR_UNREACHABLE;
  v.severity = v1::P3;
  v.nodes = Names(model, unreachable);
  v.cause_key = "COLLECTOR_UNREACHABLE";
  v.summary = absl::StrCat(absl::StrJoin(v.nodes, ","),
                           " silent to the collector while their peers still hear them");
  for (int u : unreachable) {
    const NodeFacts& f = model.nodes[u];
    v.evidence[absl::StrCat(*f.id, " last snapshot age")] = Seconds(f.silence);
    v.evidence[absl::StrCat(*f.id, " peers hearing it")] = absl::StrCat(f.heard_by);
  }
  out.push_back(std::move(v));
}

}  // namespace guts::collector
