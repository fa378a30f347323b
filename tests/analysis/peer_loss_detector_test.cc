// The fleet peer loss detector alone (peer_loss_detector.cc): many nodes losing most of their peers
// while the graph stays connected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(FleetPeerLossDetectorTest, SixOfTenLosingHalfTheirPeersIsOneFleetPeerLoss) {
  SyntheticFleet fleet(10);
  DetectorHarness harness("fleet_peer_loss");
  harness.Run(fleet, 10);
  // v1..v6 stop hearing each other; v7..v10 still hear everyone: the graph stays connected.
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) {
      if (i != j) fleet.SetHears(SyntheticFleet::Name(i), SyntheticFleet::Name(j), false);
    }
  }
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "FLEET_PEER_LOSS");
  EXPECT_EQ(verdicts[0].severity, v1::P2);
  EXPECT_EQ(verdicts[0].nodes, fleet.Names(1, 6));
}

TEST(FleetPeerLossDetectorTest, TwoNodesLosingPeersAreTooFewForAFleetLoss) {
  SyntheticFleet fleet(10);
  DetectorHarness harness("fleet_peer_loss");
  harness.Run(fleet, 10);
  fleet.SetHears("v1", "v2", false);
  fleet.SetHears("v2", "v1", false);
  EXPECT_THAT(harness.Run(fleet, 3), SizeIs(0));
}

}  // namespace
}  // namespace guts::collector::testing
