// The fork detector alone (fork_detector.cc): two block ids finalized at one height.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(ForkDetectorTest, TwoBlockIdsAtOneHeightIsOneForkNamingBothGroups) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("fork");
  harness.Run(fleet, 20);
  fleet.Fork({"v5", "v6", "v7"});
  const std::vector<Verdict> verdicts = harness.Run(fleet, 5);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "FORK");
  EXPECT_EQ(verdicts[0].cause_key, "FORK");
  EXPECT_EQ(verdicts[0].severity, v1::P1);
  ASSERT_THAT(verdicts[0].groups, SizeIs(2));
  EXPECT_EQ(verdicts[0].nodes, fleet.Names(1, 7));
}

}  // namespace
}  // namespace guts::collector::testing
