// IncidentKindSpec: everything the analysis knows about one kind of incident, declared by the
// detector that raises it, in that detector's file. The analyzer (node states, maintenance,
// held-back kinds), the folding of symptoms under causes and the runbooks read these specs; no
// other file lists kinds.
//
// A kind is identified by its name ("NODE_DOWN"): the alert name, the metric label, the prefix
// of its cause keys and `Incident.kind_name`. Kinds that existed before the registry also carry
// their wire enum value (`Incident.kind`); a new kind needs none (it goes out as
// INCIDENT_KIND_UNSPECIFIED plus its name).
//
// Example, in a detector's file:
//   constexpr std::string_view kDiskFullSteps[] = {"df -h on the data dir", "free space"};
//   constexpr RunbookSpec kDiskFullRunbook{.name = "disk-full", .steps = kDiskFullSteps};
//   constexpr IncidentKindSpec kDiskFull{.name = "DISK_FULL", .wire_kind = v1::DISK_FULL,
//                                        .severity = v1::P3, .runbook = &kDiskFullRunbook};
//
// Specs are constant data (constexpr, static storage); pointers to them stay valid for the
// life of the process. Thread-safe: read-only.
#pragma once

#include <span>
#include <string_view>

#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

// The operators' runbook for a kind: a name (the page under the runbook URL) and first steps.
// Several kinds may point at one runbook (runbook.h holds the shared ones).
struct RunbookSpec {
  std::string_view name;
  std::span<const std::string_view> steps;
};

// What a verdict of the kind says about the state of the nodes it names (fleet status).
enum class NodeEffect {
  kDegraded,  // the default: something is wrong with the node
  kIsolated,  // cut from its peers
  kDown,      // the node is gone
  kNone,      // says nothing about its nodes (fleet-wide or about the collector)
};

// The cut a verdict makes between nodes, for the folding of later flaps under it.
enum class CutShape {
  kNone,      // cuts nothing
  kGroups,    // its groups are the sides (a partition)
  kItsNodes,  // its nodes against every other node (an isolation)
};

struct IncidentKindSpec {
  // UPPER_SNAKE name; unique over all detectors. For a kind with a wire enum value, equal to
  // that value's name (the registry test checks it).
  std::string_view name;
  guts::diag::v1::IncidentKind wire_kind = guts::diag::v1::INCIDENT_KIND_UNSPECIFIED;
  // The severity MakeVerdict starts from; a detector may change it per verdict.
  guts::diag::v1::Severity severity = guts::diag::v1::P3;
  // Prefix of the cause key when it is not `name`: kinds that are one cause over time share it
  // (PARTITION and PARTITION_NO_QUORUM are one incident as a split gains or loses its quorum).
  std::string_view cause_name = {};
  // REQUIRES: non-null (the registry test checks every kind has a runbook with steps).
  const RunbookSpec* runbook = nullptr;
  NodeEffect node_effect = NodeEffect::kDegraded;

  // Folding (symptom_folding.h). Kinds this one absorbs when it covers their nodes, by name.
  std::span<const std::string_view> absorbs = {};
  // Order in which causes absorb, lowest first; an absorbed verdict absorbs nothing itself,
  // so the most encompassing causes go first. Ranks in use: FORK 10, PARTITION_NO_QUORUM 20,
  // PARTITION 30, PARTIAL_PARTITION 40, CONSENSUS_ENGINE_FAILED 70, VALIDATOR_SET_DRIFT 80,
  // COLLECTOR_DEGRADED 90, FLEET_PEER_LOSS 100, NODE_DOWN 110, NODE_ISOLATED 120,
  // NODE_ONE_WAY_ISOLATION 130, FLAPPING_LINK 140, ONE_WAY_LINK 150, CONSENSUS_STUCK 160.
  int fold_rank = 1000;
  // Absorbing a verdict of this kind raises this one to P1 (a partial partition that halts
  // the chain).
  std::string_view p1_when_absorbing = {};
  // A symptom of the whole fleet: any cause that absorbs the kind absorbs it whatever nodes
  // it names.
  bool fleet_wide = false;
  // The cause makes its nodes unheard by their peers (dead or cut off), which explains a
  // peer's shortfall of heard peers (LOW_PEERS).
  bool silences_its_nodes = false;

  // Analyzer.
  // Silence verdicts prove nothing while the collector is blind (collector_blindness.h): held back,
  // neither opening nor clearing.
  bool held_while_collector_blind = false;
  // Judged over the peer graph (a split, a bridge, an isolation, a one-way link, a node no peer
  // hears): held back the same way while the graph holds at most half of the fleet
  // (graph_coverage.h).
  bool held_while_graph_partial = false;
  // Never capped to P3 by declared maintenance (a fork or damaged data is never a
  // maintenance artefact).
  bool kept_under_maintenance = false;

  // Cause memory (cause_memory.h): the cut a verdict of the kind makes, remembered for the flap
  // window so that links changing state because of it fold under it.
  CutShape cuts = CutShape::kNone;
  // A link symptom (its verdict's first link) that folds under a remembered cut separating the
  // link's ends, instead of being an incident of its own.
  bool folds_under_past_cuts = false;
  // Finality throughput (finality_throughput.h): raised to P1 when the fleet's finalized blocks
  // per second collapse while it holds. At most one verdict a tick has a kind with this.
  bool p1_on_throughput_collapse = false;
  // Its groups reach each other only through bridge nodes (the verdict's nodes): each member's
  // state names its group and the bridge, and the topology carries the groups as bridged
  // groups and the cut links as cut edges.
  bool bridged_groups = false;
  // Incident tracker: ticks the cause must hold before it opens; 0: AnalysisConfig::enter_ticks
  // (the smaller of the two applies). Kinds whose evidence already held for a window take
  // fewer: a link silent past peer_heard_within has been silent that long, confirmed by both
  // ends, which is the hysteresis a tick count would add again (docs/architecture.md, "What
  // bounds detection time").
  int enter_ticks = 0;
  // Incident tracker: a new height alone updates an open incident (stored, sent to alerting).
  // False for a stall, whose height is where the fleet stopped.
  bool height_updates_incident = true;
  // Alerting: the gutsctl command an operator runs first ("net partitions"); empty: `node show
  // <node>` when the incident names one node, else `fleet status`.
  std::string_view first_command = {};
};

// The spec of the kind named `name`, or null when no detector declares it.
const IncidentKindSpec* FindIncidentKind(std::string_view name);
// The spec declaring wire value `kind`, or null.
const IncidentKindSpec* FindIncidentKind(guts::diag::v1::IncidentKind kind);

// Every declared kind, in detector order.
std::span<const IncidentKindSpec* const> AllIncidentKinds();

}  // namespace guts::collector
