// The flapping link detector alone (flapping_detector.cc): a link going up and down within the flap
// window.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(FlappingLinkDetectorTest, LinkCutAndHealedRepeatedlyIsFlappingKeyedByThePair) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  std::vector<Verdict> verdicts;
  for (int cycle = 0; cycle < 3; ++cycle) {
    fleet.Cut({"v2"}, {"v6"});
    harness.Run(fleet, 6);
    fleet.Heal();
    verdicts = harness.Run(fleet, 7);
  }
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "FLAPPING_LINK");
  EXPECT_EQ(verdicts[0].cause_key, "FLAPPING_LINK:v2-v6");
  EXPECT_EQ(verdicts[0].severity, v1::P3);
  EXPECT_THAT(verdicts[0].nodes, ElementsAre("v2", "v6"));
}

TEST(FlappingLinkDetectorTest, OneCutIsNotFlapping) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  fleet.Cut({"v2"}, {"v6"});
  harness.Run(fleet, 6);
  fleet.Heal();
  EXPECT_THAT(harness.Run(fleet, 7), SizeIs(0));
}

}  // namespace
}  // namespace guts::collector::testing
