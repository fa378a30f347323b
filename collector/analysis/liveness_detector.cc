// Liveness: a node silent to the collector is judged by what its peers say. Peers stopped
// hearing it: NODE_DOWN. Peers still hear it: the collector alone lost it
// (COLLECTOR_UNREACHABLE, one incident for all such nodes). When the collector itself is blind
// (collector_blindness.h: overloaded, stood still, or hearing no agent), silence proves nothing:
// silence verdicts are held back and, unless it was a short pause, COLLECTOR_DEGRADED says why.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/runbook.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr std::string_view kNodeDownAbsorbs[] = {"LOW_PEERS", "NODE_LAGGING", "NODE_NOT_SYNCING"};
// While the collector is blind, the silence verdicts it holds back are its own doing.
constexpr std::string_view kCollectorDegradedAbsorbs[] = {"NODE_DOWN", "COLLECTOR_UNREACHABLE"};

constexpr std::string_view kCollectorConnectivitySteps[] = {
    "the nodes run (their peers hear them): check the agent's route and TLS to the collector",
    "the agents spool snapshots and replay them after reconnect"};
constexpr RunbookSpec kCollectorConnectivityRunbook{.name = "collector-connectivity",
                                                    .steps = kCollectorConnectivitySteps};
constexpr std::string_view kCollectorDegradedSteps[] = {
    "check the collector's CPU, disk, its network to the agents and /metrics ingest lag",
    "node silence is not judged until the collector catches up"};
constexpr RunbookSpec kCollectorDegradedRunbook{.name = "collector-degraded",
                                                .steps = kCollectorDegradedSteps};

constexpr IncidentKindSpec kNodeDown{.name = "NODE_DOWN",
                                     .wire_kind = v1::NODE_DOWN,
                                     .severity = v1::P2,
                                     .runbook = &kValidatorDownRunbook,
                                     .node_effect = NodeEffect::kDown,
                                     .absorbs = kNodeDownAbsorbs,
                                     .fold_rank = 110,
                                     .silences_its_nodes = true,
                                     .held_while_collector_blind = true,
                                     // No peer hears it past peer_heard_within (or its sessions
                                     // closed) and its agent is silent or gone: one tick. When
                                     // its agent still reports, two (DetectLiveness).
                                     .held_while_graph_partial = true,
                                     .enter_ticks = 1};
// A node whose agent still reports but cannot reach its API, and that no peer hears: two
// snapshots must agree. A node stalled for a moment (a GC pause, a starved host) fails its API
// probe and goes quiet to its peers in the same snapshot, and is back in the next; at one tick
// such a stall opened NODE_DOWN (S01's soak beside a second build).
constexpr int kProcessDownEnterTicks = 2;
constexpr IncidentKindSpec kCollectorUnreachable{.name = "COLLECTOR_UNREACHABLE",
                                                 .wire_kind = v1::COLLECTOR_UNREACHABLE,
                                                 .severity = v1::P3,
                                                 .runbook = &kCollectorConnectivityRunbook,
                                                 .node_effect = NodeEffect::kNone,
                                                 .held_while_collector_blind = true};
constexpr IncidentKindSpec kCollectorDegraded{.name = "COLLECTOR_DEGRADED",
                                              .wire_kind = v1::COLLECTOR_DEGRADED,
                                              .severity = v1::P2,
                                              .runbook = &kCollectorDegradedRunbook,
                                              .node_effect = NodeEffect::kNone,
                                              .absorbs = kCollectorDegradedAbsorbs,
                                              .fold_rank = 90,
                                              .first_command = "fleet status"};
constexpr const IncidentKindSpec* kKinds[] = {&kNodeDown, &kCollectorUnreachable,
                                              &kCollectorDegraded};
// Peers' figures must be this fresh to vouch for a silent node.
constexpr ConfigWindow kWindows[] = {&AnalysisConfig::peer_heard_within};

void DetectLiveness(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  const CollectorBlindness& blind = model.blindness;
  if (blind.blind) {
    if (!blind.degraded) return;
    Verdict v = MakeVerdict(kCollectorDegraded);
    v.summary = absl::StrCat(blind.why, "; node silence verdicts held back");
    v.evidence = blind.evidence;
    out.push_back(std::move(v));
    return;
  }
  std::vector<int> unreachable;
  for (int u = 0; u < static_cast<int>(model.nodes.size()); ++u) {
    // IsDown reads stream_closed, lines past the facts' first (which the last pass read).
    if (u + 8 < static_cast<int>(model.nodes.size())) {
      __builtin_prefetch(&model.nodes[u + 8].stream_closed);
    }
    const NodeFacts& f = model.nodes[u];
    if (!f.has_snapshot) continue;
    if (IsDown(model, u)) {
      Verdict v = MakeVerdict(kNodeDown, *f.id);
      v.nodes = {*f.id};
      v.summary =
          f.silent
              ? absl::StrCat(*f.id, " silent for ", SecondsText(f.silence), " and no peer hears it")
          : f.process_down ? absl::StrCat(*f.id, "'s agent reports the node unreachable and no ",
                                          "peer hears it")
                           : absl::StrCat(*f.id, "'s agent disconnected and no peer hears it");
      v.evidence["last snapshot age"] = SecondsText(f.silence);
      v.evidence["phi"] = absl::StrCat(static_cast<int>(f.Phi() * 10) / 10.0);
      // emplace, not `= "0"`: that trips GCC 12's -Wrestrict at -O3 (a false positive).
      v.evidence.emplace("peers hearing it", "0");
      v.height = f.height;
      if (!f.silent && !f.stream_closed) v.enter_ticks = kProcessDownEnterTicks;
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
  Verdict v = MakeVerdict(kCollectorUnreachable);
  v.nodes = SortedNodeNames(model, unreachable);
  v.summary = absl::StrCat(absl::StrJoin(v.nodes, ","),
                           " silent to the collector while their peers still hear them");
  for (int u : unreachable) {
    const NodeFacts& f = model.nodes[u];
    v.evidence[absl::StrCat(*f.id, " last snapshot age")] = SecondsText(f.silence);
    v.evidence[absl::StrCat(*f.id, " peers hearing it")] = absl::StrCat(f.heard_by);
  }
  out.push_back(std::move(v));
}

}  // namespace

extern const Detector kLivenessDetector;
const Detector kLivenessDetector{
    .name = "liveness", .run = DetectLiveness, .kinds = kKinds, .windows = kWindows};

}  // namespace guts::collector
