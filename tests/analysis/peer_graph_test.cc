#include "collector/analysis/peer_graph.h"

#include <gtest/gtest.h>

#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector {
namespace {

PeerGraph GraphOf(testing::SyntheticFleet& fleet, FleetView& view, FleetModel& model) {
  fleet.Step();
  view = fleet.View();
  model = BuildFleetModel(view, AnalysisConfig{});
  return BuildPeerGraph(model);
}

TEST(PeerGraphTest, FullMeshIsOneComponentWithoutCuts) {
  testing::SyntheticFleet fleet(7);
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  ASSERT_EQ(g.components.size(), 1u);
  EXPECT_EQ(g.component_weight[0], 700u);
  EXPECT_TRUE(g.cut_vertices.empty());
  EXPECT_TRUE(g.one_way.empty());
}

TEST(PeerGraphTest, NodeJoiningTwoCliquesIsTheCutVertex) {
  testing::SyntheticFleet fleet(7);
  fleet.Cut({"v1", "v2", "v3"}, {"v5", "v6", "v7"});
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  ASSERT_EQ(g.components.size(), 1u);
  ASSERT_EQ(g.cut_vertices, std::vector<int>{3});  // v4
  auto groups = GroupsAround(g, 3);
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<std::vector<int>>{{0, 1, 2}, {4, 5, 6}}));
}

TEST(PeerGraphTest, ChainHasBridgeEdgesAndHeaviestComponentFirst) {
  testing::SyntheticFleet fleet(5);
  fleet.SetWeights({10, 10, 10, 100, 100});
  // v1 - v2 - v3 chain; v4 = v5 apart.
  fleet.Cut({"v1"}, {"v3", "v4", "v5"});
  fleet.Cut({"v2"}, {"v4", "v5"});
  fleet.Cut({"v3"}, {"v4", "v5"});
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  ASSERT_EQ(g.components.size(), 2u);
  EXPECT_EQ(g.components[0], (std::vector<int>{3, 4}));
  EXPECT_EQ(g.cut_vertices, std::vector<int>{1});
  EXPECT_EQ(g.bridge_edges, (std::vector<std::pair<int, int>>{{0, 1}, {1, 2}}));
}

TEST(PeerGraphTest, OneSidedHearingIsAOneWayLinkFromTheUnheardSide) {
  testing::SyntheticFleet fleet(4);
  fleet.SetHears("v4", "v2", false);  // v2's data does not reach v4
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  EXPECT_EQ(g.one_way, (std::vector<std::pair<int, int>>{{1, 3}}));
}

}  // namespace
}  // namespace guts::collector
