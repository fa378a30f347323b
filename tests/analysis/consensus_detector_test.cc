// The consensus detector alone (consensus_detector.cc): a stuck chain, a node falling behind, and a
// fleet one loss away from halting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(ConsensusDetectorTest, NoBlockForTheStallThresholdIsConsensusStuckOfTheFleet) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("consensus");  // stall threshold 30 s
  harness.Run(fleet, 20);
  fleet.SetAllRates(0);
  const std::vector<Verdict> stuck = OfKind(harness.Run(fleet, 35), "CONSENSUS_STUCK");
  ASSERT_THAT(stuck, SizeIs(1));
  EXPECT_EQ(stuck[0].cause_key, "CONSENSUS_STUCK");
  EXPECT_EQ(stuck[0].severity, v1::P1);
  EXPECT_EQ(stuck[0].evidence.at("cause"), "application halt (view steady)");
}

TEST(ConsensusDetectorTest, HalfSpeedNodeIsLaggingWithItsLag) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("consensus");
  harness.Run(fleet, 20);
  fleet.SetRate("v5", 0.5);
  const std::vector<Verdict> lagging = OfKind(harness.Run(fleet, 30), "NODE_LAGGING");
  ASSERT_THAT(lagging, SizeIs(1));
  EXPECT_EQ(lagging[0].cause_key, "NODE_LAGGING:v5");
  EXPECT_GE(std::stoi(lagging[0].evidence.at("lag")), 5);
}

TEST(ConsensusDetectorTest, FourNodesOneDownPutTheQuorumAtRisk) {
  SyntheticFleet fleet(4);
  DetectorHarness harness("consensus");
  harness.Run(fleet, 10);
  fleet.Kill("v4");
  const std::vector<Verdict> risk = OfKind(harness.Run(fleet, 10), "QUORUM_AT_RISK");
  ASSERT_THAT(risk, SizeIs(1));
  EXPECT_EQ(risk[0].cause_key, "QUORUM_AT_RISK");
  EXPECT_EQ(risk[0].severity, v1::P2);
  EXPECT_THAT(risk[0].nodes, ElementsAre("v4"));
}

// A snapshot whose node API read failed carries no height: not a node at height 0 with a lag of
// the whole chain (S01's soak: one such snapshot of v7, "lag 535 blocks"). The node is judged
// again from its next snapshot with a height, against the lag it had before.
TEST(ConsensusDetectorTest, SnapshotWithoutAHeightIsNotLagging) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("consensus");
  harness.Run(fleet, 20);
  fleet.SetApiReadFailed("v7", true);
  EXPECT_THAT(OfKind(harness.Run(fleet, 5), "NODE_LAGGING"), SizeIs(0));
  fleet.SetApiReadFailed("v7", false);
  EXPECT_THAT(OfKind(harness.Run(fleet, 3), "NODE_LAGGING"), SizeIs(0));
  // The control: a node really falling behind (a fifth of the pace) is lagging.
  fleet.SetRate("v7", 0.2);
  EXPECT_THAT(OfKind(harness.Run(fleet, 30), "NODE_LAGGING"), SizeIs(1));
}

}  // namespace
}  // namespace guts::collector::testing
