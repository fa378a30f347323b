#include "tests/analysis/detector_harness.h"

#include <gtest/gtest.h>

#include <string>

#include "collector/analysis/fleet_model.h"
#include "collector/analysis/peer_graph.h"
#include "collector/analysis/quorum_margin.h"

namespace guts::collector::testing {

DetectorHarness::DetectorHarness(std::string_view name, AnalysisConfig config)
    : config_(std::move(config)) {
  for (const Detector* d : AllDetectors()) {
    if (d->name == name) detector_ = d;
  }
  EXPECT_NE(detector_, nullptr) << "no detector named " << std::string(name);
  if (detector_ != nullptr && detector_->make_state != nullptr) state_ = detector_->make_state();
}

std::vector<Verdict> DetectorHarness::Run(SyntheticFleet& fleet, int ticks) {
  std::vector<Verdict> verdicts;
  if (detector_ == nullptr) return verdicts;
  for (int t = 0; t < ticks; ++t) {
    fleet.Step();
    view_ = fleet.View();
    const FleetView& view = view_;
    std::vector<uint32_t> numbers = NumberNodes(view, history_);
    ModelMemory scratch_memory;
    FleetModel model = BuildFleetModel(view, config_, numbers,
                                       from_scratch_ ? scratch_memory : history_.model_memory);
    PeerGraph scratch_graph;
    if (from_scratch_) scratch_graph = BuildPeerGraph(model);
    const PeerGraph& graph = from_scratch_ ? scratch_graph : graph_memory_.Build(model);
    const QuorumMargin margin = ComputeQuorumMargin(model, graph);
    verdicts.clear();
    DetectorInput input{view, model, graph, margin, history_, config_, state_.get()};
    detector_->run(input, verdicts);
    UpdateHistory(model, graph, config_, history_);
    if (state_ != nullptr) state_->Update(input);
    (from_scratch_ ? scratch_memory : history_.model_memory).Recycle(std::move(model));
  }
  return verdicts;
}

std::vector<Verdict> OfKind(const std::vector<Verdict>& verdicts, std::string_view kind) {
  std::vector<Verdict> found;
  for (const Verdict& v : verdicts) {
    if (KindNameOf(v) == kind) found.push_back(v);
  }
  return found;
}

}  // namespace guts::collector::testing
