// The consensus engine detector alone (consensus_engine_detector.cc): a node whose consensus thread
// died while its API stays up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(ConsensusEngineDetectorTest, DeadConsensusThreadIsEngineFailedOfThatNode) {
  SyntheticFleet fleet(7);
  fleet.SetSimplex(true);
  DetectorHarness harness("consensus_engine");
  harness.Run(fleet, 20);
  fleet.FailEngine("v2");
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "CONSENSUS_ENGINE_FAILED");
  EXPECT_EQ(verdicts[0].cause_key, "CONSENSUS_ENGINE_FAILED:v2");
  EXPECT_EQ(verdicts[0].severity, v1::P2);
}

TEST(ConsensusEngineDetectorTest, TwoDeadThreadsOfFourLeaveNoQuorumAndAreP1) {
  SyntheticFleet fleet(4);
  fleet.SetSimplex(true);
  DetectorHarness harness("consensus_engine");
  harness.Run(fleet, 20);
  fleet.FailEngine("v2");
  fleet.FailEngine("v3");
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(2));
  EXPECT_EQ(verdicts[0].severity, v1::P1);
  EXPECT_EQ(verdicts[1].severity, v1::P1);
}

}  // namespace
}  // namespace guts::collector::testing
