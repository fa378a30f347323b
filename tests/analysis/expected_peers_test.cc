// The peers each node is expected to hear (NodeAssessment::peers_expected, fleet status's PEERS
// column): from the node's own config and the validator set, not from the fleet's size.
#include <gtest/gtest.h>

#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;

TEST(ExpectedPeersTest, FullMeshSimulationExpectsTheValidatorSetMinusItself) {
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(7);
  Timeline t;
  RunTicks(analyzer, fleet, 10, t);
  for (const auto& [node, a] : t.last.nodes) {
    EXPECT_EQ(a.peers_expected, 6u) << node;
    EXPECT_EQ(a.peers_heard, 6u) << node;
  }
}

TEST(ExpectedPeersTest, SparseTopologyExpectsTheConfiguredPeersAndOpensNothing) {
  // Ten nodes, each peered with its four ring neighbours and saying so in its config.
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(10);
  fleet.Sparse(4);
  fleet.WriteAllowedPeers();
  Timeline t;
  RunTicks(analyzer, fleet, 15, t);
  EXPECT_TRUE(t.incidents.empty()) << Summaries(t);
  ASSERT_EQ(t.last.nodes.size(), 10u);
  for (const auto& [node, a] : t.last.nodes) {
    EXPECT_EQ(a.peers_expected, 4u) << node;
    EXPECT_EQ(a.peers_heard, 4u) << node;
    EXPECT_EQ(a.state, v1::HEALTHY) << node;
  }
  // The validator set is still all ten (simulation mode: the API's list, not the configs).
  EXPECT_EQ(t.last.validator_count, 10u);
}

TEST(ExpectedPeersTest, SparseTopologyCutLinkShowsAsOneMissingConfiguredPeer) {
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(10);
  fleet.Sparse(4);
  fleet.WriteAllowedPeers();
  Timeline warm, t;
  RunTicks(analyzer, fleet, 10, warm);
  fleet.DropSessions("v1", "v2");
  RunTicks(analyzer, fleet, 5, t);
  EXPECT_EQ(t.last.nodes.at("v1").peers_expected, 4u);
  EXPECT_EQ(t.last.nodes.at("v1").peers_heard, 3u);
  EXPECT_EQ(t.last.nodes.at("v5").peers_heard, 4u);
}

TEST(ExpectedPeersTest, SimplexNodeLackingAnAllowedPeerExpectsOneFewer) {
  // S27's drift: v3's allowed_peers lack v6. v3 should hear the five it allows; v6 still lists
  // v3 and misses it (the drift incident says why).
  SyntheticFleet fleet(7);
  fleet.SetSimplex(true);
  fleet.DropAllowedPeer("v3", "v6");
  Analyzer analyzer{TestConfig()};
  Timeline t;
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(t.last.nodes.at("v3").peers_expected, 5u);
  EXPECT_EQ(t.last.nodes.at("v3").peers_heard, 5u);
  EXPECT_EQ(t.last.nodes.at("v6").peers_expected, 6u);
  EXPECT_EQ(t.last.nodes.at("v1").peers_expected, 6u);
}

TEST(ExpectedPeersTest, SimplexWithoutAgentsOnSomeStillCountsEveryParticipant) {
  SyntheticFleet fleet(7);
  fleet.SetSimplex(true);
  fleet.RemoveAgent("v6");
  fleet.RemoveAgent("v7");
  Analyzer analyzer{TestConfig()};
  Timeline t;
  RunTicks(analyzer, fleet, 10, t);
  ASSERT_EQ(t.last.nodes.size(), 5u);
  EXPECT_EQ(t.last.nodes.at("v1").peers_expected, 6u);
}

}  // namespace
}  // namespace guts::collector::testing
