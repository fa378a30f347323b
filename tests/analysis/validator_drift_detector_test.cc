// The validator set drift detector alone (validator_drift_detector.cc): nodes whose allowed_peers
// disagree with the set most nodes report.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(ValidatorSetDriftDetectorTest, AllowedPeersLackingAPeerIsOneDriftNamingBoth) {
  SyntheticFleet fleet(7);
  fleet.SetSimplex(true);
  DetectorHarness harness("validator_set_drift");
  fleet.DropAllowedPeer("v3", "v6");
  const std::vector<Verdict> verdicts = harness.Run(fleet, 5);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "VALIDATOR_SET_DRIFT");
  EXPECT_EQ(verdicts[0].cause_key, "VALIDATOR_SET_DRIFT:v3,v6");
  EXPECT_EQ(verdicts[0].severity, v1::P2);
  EXPECT_EQ(verdicts[0].evidence.at("missing keys"), SyntheticFleet::Key(5));
}

TEST(ValidatorSetDriftDetectorTest, AgreeingSetsAreNothing) {
  SyntheticFleet fleet(7);
  fleet.SetSimplex(true);
  DetectorHarness harness("validator_set_drift");
  EXPECT_THAT(harness.Run(fleet, 5), SizeIs(0));
}

}  // namespace
}  // namespace guts::collector::testing
