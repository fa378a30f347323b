// Production conditions: Simplex fleets where only some validators run an agent (SCENARIOS
// S25-S28 and variants: other sizes, names from an operator's file or from the participants,
// drift towards an unobserved validator, a dead consensus thread).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The operator's file for a fleet: every validator by name, key and address.
std::vector<ValidatorEntry> OperatorFile(int n) {
  std::vector<ValidatorEntry> out;
  for (int i = 0; i < n; ++i) {
    ValidatorEntry& v = out.emplace_back();
    v.name = SyntheticFleet::Name(i);
    v.public_key = SyntheticFleet::Key(i);
    v.addr = absl::StrCat("10.0.0.", i + 10, ":9000");
    v.organisation = i < 4 ? "ours" : "partner";
  }
  return out;
}

AnalysisConfig WithFile(int n) {
  AnalysisConfig c = TestConfig();
  c.operator_validators = OperatorFile(n);
  return c;
}

struct Fleet {
  Fleet(int n, int agents, AnalysisConfig config) : analyzer(config), fleet(n) {
    fleet.SetSimplex(true);
    for (int i = agents; i < n; ++i) fleet.RemoveAgent(SyntheticFleet::Name(i));
  }
  void Warm(int ticks = 20) { RunTicks(analyzer, fleet, ticks, warmup); }
  void Run(int ticks) { RunTicks(analyzer, fleet, ticks, t); }
  Analyzer analyzer;
  SyntheticFleet fleet;
  Timeline warmup;
  Timeline t;
};

TEST(SimplexFleetTest, ThreeOfSevenWithoutAgentHealthyCountsSevenVotes) {
  Fleet f(7, 4, TestConfig());
  f.Warm();
  f.Run(10);
  EXPECT_TRUE(f.t.incidents.empty()) << Summaries(f.t);
  EXPECT_TRUE(f.warmup.incidents.empty()) << Summaries(f.warmup);
  EXPECT_EQ(f.t.last.mode, v1::CONSENSUS_MODE_SIMPLEX);
  EXPECT_EQ(f.t.last.validator_source, "participants");
  EXPECT_EQ(f.t.last.total_weight, 7u);
  EXPECT_EQ(f.t.last.quorum_weight, 5u);
  ASSERT_EQ(f.t.last.unobserved.size(), 3u);
  // Without a file the unobserved are named by their P2P address from the participants.
  EXPECT_EQ(f.t.last.unobserved[0].name, "10.0.0.14:9000");
  EXPECT_EQ(f.t.last.unobserved[0].public_key, SyntheticFleet::Key(4));
  EXPECT_EQ(f.t.last.unobserved[0].Reason(), "no agent; heard by v1, v2, v3, v4");
  EXPECT_EQ(f.t.last.nodes.at("v1").peers_expected, 6u);
  EXPECT_EQ(f.t.last.topology.unobserved_size(), 3);
  ASSERT_EQ(f.t.last.topology.components_size(), 1);
  EXPECT_EQ(f.t.last.topology.components(0).nodes_size(), 7);
  EXPECT_TRUE(f.t.last.topology.components(0).has_quorum());
}

TEST(SimplexFleetTest, FourThreeSplitWithTheThreeUnobservedHaltsBothSides) {  // S25
  Fleet f(7, 4, WithFile(7));
  f.Warm();
  f.fleet.Cut(f.fleet.Names(1, 4), f.fleet.Names(5, 7));
  f.Run(10);
  v1::Incident inc = Only(f.t, v1::PARTITION_NO_QUORUM);
  EXPECT_EQ(inc.severity(), v1::P1);
  EXPECT_THAT(GroupsOf(inc), ElementsAre(f.fleet.Names(1, 4), f.fleet.Names(5, 7)));
  EXPECT_EQ(inc.groups(0).weight(), 4u);
  EXPECT_EQ(inc.groups(1).weight(), 3u);
  EXPECT_THAT(inc.summary(), HasSubstr("quorum 5 of 7 votes"));
  EXPECT_EQ(inc.evidence().at("unobserved"), "v5,v6,v7 (no agent: placed by who hears them)");
  EXPECT_LE(f.t.opened_at_tick.begin()->second, 10);
  EXPECT_EQ(f.t.last.validator_source, "operator file");
  f.fleet.Heal();
  f.Run(8);
  EXPECT_TRUE(f.t.last.open_incidents.empty());
}

TEST(SimplexFleetTest, UnobservedValidatorsArePlacedOnTheSideThatHearsThem) {
  // N=9, agents on v1..v5; v6..v9 have none and sit on both sides of the cut.
  Fleet f(9, 5, WithFile(9));
  f.Warm();
  std::vector<std::string> a = {"v1", "v2", "v3", "v6"};
  std::vector<std::string> b = {"v4", "v5", "v7", "v8", "v9"};
  f.fleet.Cut(a, b);
  f.Run(10);
  v1::Incident inc = Only(f.t, v1::PARTITION_NO_QUORUM);  // 9 votes: quorum 7
  EXPECT_THAT(GroupsOf(inc), ElementsAre(a, b));
  EXPECT_THAT(inc.summary(), HasSubstr("quorum 7 of 9 votes"));
}

TEST(SimplexFleetTest, QuorumSideWithUnobservedMembersNamesTheObservedMinority) {
  Fleet f(7, 4, WithFile(7));
  f.Warm();
  f.fleet.Cut({"v1", "v2", "v5", "v6", "v7"}, {"v3", "v4"});
  f.Run(10);
  v1::Incident inc = Only(f.t, v1::PARTITION);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v3", "v4"));
  EXPECT_TRUE(inc.groups(0).has_quorum());
  EXPECT_EQ(inc.groups(0).weight(), 5u);
}

TEST(SimplexFleetTest, UnobservedValidatorCutFromEveryPeerSaysDownOrCutOffCannotBeTold) {  // S26
  Fleet f(7, 5, WithFile(7));
  f.Warm();
  f.fleet.Isolate("v7");
  f.Run(15);
  v1::Incident inc = Only(f.t, v1::VALIDATOR_UNREACHABLE);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v7"));
  EXPECT_THAT(inc.summary(), HasSubstr("down or cut off cannot be told apart"));
  EXPECT_EQ(inc.evidence().at("not heard by"), "v1,v2,v3,v4,v5");
  const UnobservedAssessment& v7 = f.t.last.unobserved.back();
  EXPECT_EQ(v7.name, "v7");
  EXPECT_EQ(v7.organisation, "partner");
  EXPECT_THAT(v7.Reason(), HasSubstr("heard by no observed node"));
  const UnobservedAssessment& v6 = f.t.last.unobserved.front();
  EXPECT_EQ(v6.Reason(), "no agent; heard by v1, v2, v3, v4, v5");
  f.fleet.Heal();
  f.Run(8);
  EXPECT_TRUE(f.t.last.open_incidents.empty());
}

TEST(SimplexFleetTest, UnobservedHeardBySomeNamesWhoHearsIt) {
  Fleet f(7, 4, WithFile(7));
  f.fleet.SetHears("v3", "v6", false);
  f.Warm();
  const UnobservedAssessment& v6 = f.warmup.last.unobserved[1];
  EXPECT_EQ(v6.name, "v6");
  EXPECT_EQ(v6.Reason(), "no agent; heard by v1, v2, v4; not by v3");
}

TEST(SimplexFleetTest, AllowedPeersLackingAPeerIsOneDriftVerdict) {  // S27
  Fleet f(7, 7, TestConfig());
  f.fleet.DropAllowedPeer("v3", "v6");
  f.Run(30);
  v1::Incident inc = Only(f.t, v1::VALIDATOR_SET_DRIFT);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v3", "v6"));
  EXPECT_EQ(inc.evidence().at("missing keys"), SyntheticFleet::Key(5));
  EXPECT_THAT(inc.summary(), HasSubstr("v3 lacks v6"));
}

TEST(SimplexFleetTest, DriftTowardsAnUnobservedValidatorNamesItByFile) {
  Fleet f(7, 5, WithFile(7));
  f.fleet.DropAllowedPeer("v2", "v7");
  f.Run(30);
  v1::Incident inc = Only(f.t, v1::VALIDATOR_SET_DRIFT);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v2", "v7"));
}

TEST(SimplexFleetTest, DeadConsensusThreadIsItsOwnIncidentNotAnIsolation) {  // S28
  Fleet f(7, 7, TestConfig());
  f.Warm();
  f.fleet.FailEngine("v2");
  f.Run(10);
  v1::Incident inc = Only(f.t, v1::CONSENSUS_ENGINE_FAILED);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v2"));
  EXPECT_THAT(inc.summary(), HasSubstr("consensus engine stopped on v2"));
  EXPECT_THAT(inc.absorbed(), ::testing::Contains("NODE_ISOLATED:v2"));
}

TEST(SimplexFleetTest, DeadConsensusThreadsBelowQuorumAreP1) {
  Fleet f(4, 4, TestConfig());
  f.Warm();
  f.fleet.FailEngine("v2");
  f.fleet.FailEngine("v3");
  f.fleet.SetAllRates(0);
  f.Run(10);
  auto failed = f.t.Ever(v1::CONSENSUS_ENGINE_FAILED);
  ASSERT_EQ(failed.size(), 2u) << Summaries(f.t);
  EXPECT_EQ(failed[0].severity(), v1::P1);
  EXPECT_EQ(failed[1].severity(), v1::P1);
}

TEST(SimplexFleetTest, ParticipantsGiveOneVoteEachWhateverTheFileWeights) {
  AnalysisConfig c = WithFile(7);
  for (ValidatorEntry& v : c.operator_validators) v.weight = 100;
  c.operator_validators[0].weight = 400;
  Fleet f(7, 7, c);
  f.Warm(5);
  EXPECT_EQ(f.warmup.last.total_weight, 7u);
  EXPECT_EQ(f.warmup.last.quorum_weight, 5u);
}

}  // namespace
}  // namespace guts::collector::testing
