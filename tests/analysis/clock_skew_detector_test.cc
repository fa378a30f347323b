// The clock skew detector alone (clock_skew_detector.cc): an agent clock far from the collector's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(ClockSkewDetectorTest, ClockFiveMinutesAheadIsClockSkewOfThatNode) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("clock_skew");
  harness.Run(fleet, 20);
  fleet.SetClockOffset("v3", absl::Minutes(5));
  const std::vector<Verdict> verdicts = harness.Run(fleet, 30);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "CLOCK_SKEW:v3");
  EXPECT_EQ(verdicts[0].severity, v1::P3);
  EXPECT_EQ(verdicts[0].summary, "v3's clock is 300.0 s ahead of the collector's");
}

TEST(ClockSkewDetectorTest, OffsetBelowTheThresholdIsNothing) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("clock_skew");
  fleet.SetClockOffset("v3", absl::Seconds(10));
  EXPECT_THAT(harness.Run(fleet, 30), SizeIs(0));
}

}  // namespace
}  // namespace guts::collector::testing
