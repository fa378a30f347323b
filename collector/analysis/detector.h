// Detector: one kind of fault, as a pure function of (view, derived model and graph, the short
// history, config) -> verdicts. Adding a detector is writing one file and adding one line to
// the list in detectors.cc.
//
// Example:
//   for (const Detector& d : AllDetectors()) d.run(input, verdicts);
#pragma once

#include <string>
#include <vector>

#include "collector/analysis/analysis_history.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/fleet_model.h"
#include "collector/analysis/peer_graph.h"
#include "collector/analysis/quorum_margin.h"
#include "collector/analysis/verdict.h"

namespace guts::collector {

struct DetectorInput {
  const FleetView& view;
  const FleetModel& model;
  const PeerGraph& graph;
  // The tick's quorum margin, computed once (fleet status shows it too).
  const QuorumMargin& margin;
  const AnalysisHistory& history;
  const AnalysisConfig& config;
};

struct Detector {
  const char* name;
  void (*run)(const DetectorInput& input, std::vector<Verdict>& out);
};

// Every detector, in the order they run.
const std::vector<Detector>& AllDetectors();

void DetectPartitions(const DetectorInput& in, std::vector<Verdict>& out);
void DetectOneWayLinks(const DetectorInput& in, std::vector<Verdict>& out);
void DetectLiveness(const DetectorInput& in, std::vector<Verdict>& out);
void DetectConsensus(const DetectorInput& in, std::vector<Verdict>& out);
void DetectForks(const DetectorInput& in, std::vector<Verdict>& out);
void DetectFleetPeerLoss(const DetectorInput& in, std::vector<Verdict>& out);
void DetectFlappingLinks(const DetectorInput& in, std::vector<Verdict>& out);
void DetectClockSkew(const DetectorInput& in, std::vector<Verdict>& out);
void DetectRunbookThresholds(const DetectorInput& in, std::vector<Verdict>& out);
void DetectValidatorSetDrift(const DetectorInput& in, std::vector<Verdict>& out);
void DetectConsensusEngineFailures(const DetectorInput& in, std::vector<Verdict>& out);

// Shared by detectors.
// Silent to the collector (or its node process gone) and no reporting peer hears it.
bool IsDown(const FleetModel& model, int node);
std::vector<std::string> Names(const FleetModel& model, const std::vector<int>& nodes);
guts::diag::v1::NodeGroup Group(const FleetModel& model, const std::vector<int>& nodes,
                                uint64_t quorum_weight);
std::string GroupText(const guts::diag::v1::NodeGroup& group);  // "{v1,v2} (200)"
std::string Seconds(absl::Duration d);                          // "12.3 s"
guts::diag::v1::Link MakeLink(const FleetModel& model, int from, int to);

// One side of the network: a component of observed nodes with the unobserved validators its
// members hear, or (`unheard`) the unobserved validators no observed node hears: they may be
// together, apart or down, which nobody can tell without an agent.
struct Side {
  std::vector<int> nodes;       // into model.nodes
  std::vector<int> unobserved;  // into model.unobserved
  uint64_t weight = 0;
  bool unheard = false;
  size_t size() const { return nodes.size() + unobserved.size(); }
};
// The graph's components with the unobserved validators placed (each in the component most of
// its hearers are in), plus the unheard side; heaviest first.
std::vector<Side> Sides(const FleetModel& model, const PeerGraph& graph);
guts::diag::v1::NodeGroup SideGroup(const FleetModel& model, const Side& side);

}  // namespace guts::collector
