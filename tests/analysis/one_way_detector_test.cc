// The one-way detector alone (one_way_detector.cc): a lost direction of one link, and a node whose
// whole inbound or outbound direction is lost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(OneWayDetectorTest, DroppedDirectionIsOneWayLinkKeyedByTheOrderedPair) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("one_way");
  harness.Run(fleet, 10);
  fleet.SetHears("v5", "v3", false);  // v3 -> v5 lost
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "ONE_WAY_LINK");
  EXPECT_EQ(verdicts[0].cause_key, "ONE_WAY_LINK:v3->v5");
  EXPECT_EQ(verdicts[0].severity, v1::P3);
  ASSERT_THAT(verdicts[0].links, SizeIs(1));
  EXPECT_EQ(verdicts[0].links[0].from(), "v3");
  EXPECT_EQ(verdicts[0].links[0].to(), "v5");
}

TEST(OneWayDetectorTest, NodeReceivingFromNobodyIsOneWayIsolatedInsteadOfSixLinks) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("one_way");
  harness.Run(fleet, 10);
  for (int j = 0; j < 7; ++j) {
    if (j != 1) fleet.SetHears("v2", SyntheticFleet::Name(j), false);
  }
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "NODE_ONE_WAY_ISOLATION:v2");
  EXPECT_EQ(verdicts[0].severity, v1::P2);
  EXPECT_EQ(verdicts[0].evidence.at("direction"), "inbound");
}

// With session ages that grow from the cut, as a real node's do: the lost direction's age passes
// peer_heard_within while the other end keeps receiving, which proves the link one-way.
TEST(OneWayDetectorTest, DirectionLostWhileTheOtherKeepsFlowingIsProvenOneWay) {
  SyntheticFleet fleet(7);
  fleet.SetAging(true);
  DetectorHarness harness("one_way");
  harness.Run(fleet, 10);
  fleet.SetHears("v5", "v3", false);  // v3 -> v5 lost
  const std::vector<Verdict> verdicts = harness.Run(fleet, 8);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "ONE_WAY_LINK:v3->v5");
}

// A link cut both ways heals while one end's agent is late (its stream queued, its host busy):
// the collector holds that end's last report, from before the heal, saying it hears nothing from
// its peer, while the peer's fresh report hears it again. The two reports describe different
// moments of one two-way change; nothing went one way. Each tick is checked, since one such tick
// per late report is what used to open ONE_WAY_LINK on a loaded host.
TEST(OneWayDetectorTest, LateReportOfAHealedTwoWayCutIsNotOneWay) {
  SyntheticFleet fleet(7);
  fleet.SetAging(true);
  fleet.SetJitter(absl::Milliseconds(400));  // arrivals vary: one late report is not silence
  DetectorHarness harness("one_way");
  harness.Run(fleet, 10);
  fleet.SetHears("v5", "v3", false);
  fleet.SetHears("v3", "v5", false);
  for (int tick = 0; tick < 8; ++tick) {
    EXPECT_THAT(harness.Run(fleet, 1), SizeIs(0)) << "cut both ways, tick " << tick;
  }
  fleet.AgentCutFromCollector("v5", true);
  fleet.SetHears("v5", "v3", true);
  fleet.SetHears("v3", "v5", true);
  // On the first tick v5's report is one interval old, as current as a report can be (its next
  // one is due): that one tick is the hysteresis' to absorb (enter_ticks). From then on it is
  // late, and no tick may call the link one-way.
  harness.Run(fleet, 1);
  for (int tick = 1; tick < 6; ++tick) {
    EXPECT_THAT(harness.Run(fleet, 1), SizeIs(0)) << "healed, v5's report late, tick " << tick;
  }
}

// A node that receives from nobody while its peers hear it, with ages that follow time.
TEST(OneWayDetectorTest, InboundLossWithGrowingAgesIsOneWayIsolation) {
  SyntheticFleet fleet(7);
  fleet.SetAging(true);
  DetectorHarness harness("one_way");
  harness.Run(fleet, 10);
  for (int j = 0; j < 7; ++j) {
    if (j != 1) fleet.SetHears("v2", SyntheticFleet::Name(j), false);
  }
  const std::vector<Verdict> verdicts = harness.Run(fleet, 8);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "NODE_ONE_WAY_ISOLATION:v2");
}

}  // namespace
}  // namespace guts::collector::testing
