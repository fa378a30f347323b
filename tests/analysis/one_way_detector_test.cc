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

}  // namespace
}  // namespace guts::collector::testing
