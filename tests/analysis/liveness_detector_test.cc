// The liveness detector alone (liveness_detector.cc): silence judged by what the peers say, and an
// overloaded collector that judges nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(LivenessDetectorTest, KilledNodeNobodyHearsIsDown) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("liveness");
  harness.Run(fleet, 20);
  fleet.Kill("v4");
  const std::vector<Verdict> verdicts = harness.Run(fleet, 10);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "NODE_DOWN");
  EXPECT_EQ(verdicts[0].cause_key, "NODE_DOWN:v4");
  EXPECT_EQ(verdicts[0].severity, v1::P2);
  EXPECT_EQ(verdicts[0].evidence.at("peers hearing it"), "0");
}

TEST(LivenessDetectorTest, AgentsCutFromTheCollectorAreOneUnreachableCause) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("liveness");
  harness.Run(fleet, 20);
  fleet.AgentCutFromCollector("v2", true);
  fleet.AgentCutFromCollector("v3", true);
  const std::vector<Verdict> verdicts = harness.Run(fleet, 15);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "COLLECTOR_UNREACHABLE");
  EXPECT_EQ(verdicts[0].severity, v1::P3);
  EXPECT_THAT(verdicts[0].nodes, ElementsAre("v2", "v3"));
}

TEST(LivenessDetectorTest, OverloadedCollectorIsDegradedAndJudgesNoSilence) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("liveness");
  harness.Run(fleet, 20);
  fleet.SetOverloaded(true, absl::Seconds(12));
  fleet.Kill("v4");
  const std::vector<Verdict> verdicts = harness.Run(fleet, 10);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "COLLECTOR_DEGRADED");
  EXPECT_EQ(verdicts[0].evidence.at("ingest_lag"), "12.0 s");
}

}  // namespace
}  // namespace guts::collector::testing
