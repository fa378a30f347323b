// The validator set drift detector alone (validator_drift_detector.cc): nodes whose allowed_peers
// disagree with the set most nodes report.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "collector/analysis/fleet_model.h"
#include "collector/fleet/snapshot_figures.h"
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

// The detector skips the key walk of a node whose participant hash equals the set's: agreeing
// nodes take that path (so AgreeingSetsAreNothing runs it) and a drifting node does not (so the
// verdict above comes from the full comparison), with keys in another order and case too.
TEST(ValidatorSetDriftDetectorTest, OnlyNodesAgreeingWithTheSetSkipTheKeyWalk) {
  SyntheticFleet fleet(7);
  fleet.SetSimplex(true);
  fleet.DropAllowedPeer("v3", "v6");
  for (int i = 0; i < 3; ++i) fleet.Step();
  FleetView view = fleet.View();
  // v1 lists the same keys backwards and in capitals.
  for (NodeObservation& n : view.nodes) {
    if (n.node_id != "v1") continue;
    auto* participants = MutableLatest(n).mutable_config()->mutable_participants();
    std::reverse(participants->begin(), participants->end());
    for (v1::Participant& p : *participants) {
      std::string key = p.public_key();
      for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      p.set_public_key(key);
    }
  }
  const FleetModel model = BuildFleetModel(view, AnalysisConfig{});
  ASSERT_NE(model.validator_set, nullptr);
  std::vector<std::string> reference;
  for (const ValidatorEntry& v : model.validator_set->validators) reference.push_back(v.public_key);
  std::sort(reference.begin(), reference.end());
  const uint64_t reference_hash = ParticipantsHash(reference);
  for (const NodeFacts& f : model.nodes) {
    SCOPED_TRACE(*f.id);
    ASSERT_NE(f.figures, nullptr);
    EXPECT_EQ(f.figures->participants_hash,
              ParticipantsHash(ParticipantKeys(*f.observation->latest)));
    EXPECT_EQ(f.figures->participants_hash == reference_hash, *f.id != "v3");
  }
}

}  // namespace
}  // namespace guts::collector::testing
