#include "collector/analysis/analyzer.h"

#include <gtest/gtest.h>

#include "collector/analysis/fleet_model.h"
#include "collector/analysis/network_sides.h"
#include "collector/analysis/peer_graph.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector {
namespace {

TEST(AnalyzerTest, ScaledRunKeepsTheClockSkewThresholdButScalesTheWindows) {
  AnalysisConfig real;
  AnalysisConfig fast = ScaleWindows(real, 0.1);
  EXPECT_EQ(fast.clock_skew_threshold, real.clock_skew_threshold);
  EXPECT_EQ(fast.flap_window, real.flap_window * 0.1);
  EXPECT_EQ(fast.stall_threshold, real.stall_threshold * 0.1);
}

TEST(AnalyzerTest, EachNodeOfASplitSaysWhichSideItIsOnAndWhatItHears) {
  testing::SyntheticFleet fleet(7);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  RunTicks(analyzer, fleet, 15, t);
  ASSERT_EQ(t.Ever(::guts::diag::v1::PARTITION_NO_QUORUM).size(), 1u);
  EXPECT_EQ(t.last.nodes.at("v1").reason,
            "side 1 of 2 (4 nodes, weight 400, no quorum); hears 3 of 6 peers");
  EXPECT_EQ(t.last.nodes.at("v7").reason,
            "side 2 of 2 (3 nodes, weight 300, no quorum); hears 2 of 6 peers");
}

// The nodes are found in name order (v10 before v2), walking the sides' names alongside: each
// node's reason names its own side.
TEST(AnalyzerTest, EachNodeOfASplitOfTwelveSaysItsOwnSide) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 12));
  RunTicks(analyzer, fleet, 15, t);
  ASSERT_EQ(t.Ever(::guts::diag::v1::PARTITION_NO_QUORUM).size(), 1u);
  auto reason = [&](const char* node) { return t.last.nodes.at(node).reason; };
  EXPECT_TRUE(reason("v1").starts_with("side ")) << reason("v1");
  EXPECT_TRUE(reason("v1").ends_with(" of 2 (6 nodes, weight 600, no quorum); hears 5 of 11 peers"))
      << reason("v1");
  EXPECT_NE(reason("v1"), reason("v7"));
  for (const char* node : {"v2", "v3", "v6"}) EXPECT_EQ(reason(node), reason("v1")) << node;
  for (const char* node : {"v8", "v10", "v11", "v12"})
    EXPECT_EQ(reason(node), reason("v7")) << node;
}

// The topology of a split lists the sides the split verdict lists (the analyzer moves that
// verdict's groups into it rather than making them twice): each tick's components are the sides
// of that tick's own view, in order, with their members, weights and heights.
TEST(AnalyzerTest, ASplitsTopologyListsThatTicksSidesAsComponents) {
  testing::SyntheticFleet fleet(12);
  const AnalysisConfig config = testing::TestConfig();
  Analyzer analyzer(config);
  testing::Timeline warmup;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 7), fleet.Names(8, 12));
  bool split_open = false;
  for (int tick = 0; tick < 8; ++tick) {
    fleet.Step();
    const FleetView view = fleet.View();
    const AnalysisResult result = analyzer.Tick(view);
    for (const auto& inc : result.open_incidents) {
      split_open = split_open || inc.kind() == ::guts::diag::v1::PARTITION_NO_QUORUM;
    }
    const FleetModel model = BuildFleetModel(view, config);
    const PeerGraph graph = BuildPeerGraph(model);
    std::vector<std::string> sides;
    for (const NetworkSide& side : NetworkSides(model, graph)) {
      sides.push_back(testing::Deterministic(SideGroup(model, side)));
    }
    ASSERT_EQ(sides.size(), 2u) << "tick " << tick;
    std::vector<std::string> components;
    for (const auto& c : result.topology.components()) {
      components.push_back(testing::Deterministic(c));
    }
    EXPECT_EQ(components, sides) << "tick " << tick;
  }
  EXPECT_TRUE(split_open);  // the split verdict was there to take the groups from
}

TEST(AnalyzerTest, NodeNeverReportedIsUnknown) {
  Analyzer analyzer{AnalysisConfig{}};
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  NodeObservation node;
  node.node_id = "v1";
  view.nodes.push_back(node);
  AnalysisResult result = analyzer.Tick(view);
  EXPECT_EQ(result.nodes.at("v1").state, guts::diag::v1::UNKNOWN);
  // So that fleet status can tell this from a judged UNKNOWN once the first snapshot is in.
  EXPECT_TRUE(result.nodes.at("v1").before_first_snapshot);
}

// The collector hands the analysis peers and figures made at ingest; views built by hand carry
// only the snapshots. A run through splits, one-way links, a kill, a heal, quick restarts and
// the runbook's thresholds must see the same.
TEST(AnalyzerTest, FactsMadeAtIngestAndTheSnapshotsGiveTheSameIncidentsAndTopology) {
  auto run = [](bool made_at_ingest) {
    testing::SyntheticFleet fleet(9);
    fleet.SetMadeAtIngest(made_at_ingest);
    Analyzer analyzer(testing::TestConfig());
    testing::Timeline t;
    std::vector<std::string> seen;
    auto record = [&](int ticks) {
      for (int i = 0; i < ticks; ++i) {
        testing::RunTicks(analyzer, fleet, 1, t);
        seen.push_back(testing::Deterministic(t.last.topology));
        for (const auto& inc : t.last.open_incidents) seen.push_back(testing::Deterministic(inc));
      }
    };
    record(10);
    fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 9));
    record(10);
    fleet.Heal();
    fleet.SetHears("v2", "v7", false);
    fleet.Kill("v4");
    record(12);
    fleet.Restart("v4");
    fleet.SetDiskUsed("v1", 0.95);
    fleet.SetConfigFallback("v2");
    fleet.SetCorruptionLines("v3", 4);
    fleet.QuickRestart("v5", testing::SyntheticFleet::RestartSeen::kUptime);
    fleet.QuickRestart("v6", testing::SyntheticFleet::RestartSeen::kNewPid);
    record(12);
    return std::make_pair(seen, t.incidents.size());
  };
  auto [compact, compact_incidents] = run(true);
  auto [views, views_incidents] = run(false);
  // The split, the one-way link, the kill, the full disk, the fallback, the corruption.
  EXPECT_GE(compact_incidents, 6u);
  EXPECT_EQ(compact_incidents, views_incidents);
  ASSERT_EQ(compact.size(), views.size());
  for (size_t i = 0; i < compact.size(); ++i) ASSERT_TRUE(compact[i] == views[i]) << "item " << i;
}

}  // namespace
}  // namespace guts::collector
