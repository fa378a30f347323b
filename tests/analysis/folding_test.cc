// Folding by cause across space (the echoes of one node's fault on its peers) and across time
// (links that a partition cut, healed and cut again). One tick is one second.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "collector/analysis/analyzer.h"
#include "collector/analysis/cause_memory.h"
#include "collector/analysis/symptom_folding.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Verdict LowPeers(const std::string& node, std::vector<std::string_view> unheard, int shortfall) {
  Verdict v;
  v.kind = v1::LOW_PEERS;
  v.cause_key = "LOW_PEERS:" + node;
  v.nodes = {node};
  v.unheard_peers = std::move(unheard);
  v.peer_shortfall = shortfall;
  return v;
}

Verdict NodeCause(v1::IncidentKind kind, const std::string& node) {
  Verdict v;
  v.kind = kind;
  v.cause_key = v1::IncidentKind_Name(kind) + ":" + node;
  v.nodes = {node};
  return v;
}

TEST(PeerShortfallFoldingTest, LowPeersExplainedByAnIsolatedPeerFoldsUnderTheIsolation) {
  std::vector<Verdict> verdicts = {LowPeers("v1", {"v4"}, 1), NodeCause(v1::NODE_ISOLATED, "v4"),
                                   LowPeers("v2", {"v4"}, 1)};
  FoldSymptoms(verdicts);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].kind, v1::NODE_ISOLATED);
  EXPECT_THAT(verdicts[0].absorbed, ElementsAre("LOW_PEERS:v1", "LOW_PEERS:v2"));
}

TEST(PeerShortfallFoldingTest, LowPeersWithMoreMissingThanTheCauseExplainsStays) {
  // v1 misses v3 and v4 and needs both; only v4 is isolated: v1 has a problem of its own.
  std::vector<Verdict> verdicts = {LowPeers("v1", {"v3", "v4"}, 2),
                                   NodeCause(v1::NODE_ISOLATED, "v4")};
  FoldSymptoms(verdicts);
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_THAT(verdicts[1].absorbed, IsEmpty());
}

TEST(PeerShortfallFoldingTest, TwoCausesTogetherExplainAShortfallAndTheLargerTakesIt) {
  std::vector<Verdict> verdicts = {LowPeers("v1", {"v3", "v4"}, 2),
                                   NodeCause(v1::NODE_ISOLATED, "v4"),
                                   NodeCause(v1::NODE_ONE_WAY_ISOLATION, "v3")};
  FoldSymptoms(verdicts);
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_THAT(verdicts[0].absorbed, ElementsAre("LOW_PEERS:v1"));
}

TEST(PeerShortfallFoldingTest, LowPeersWithoutAnyCauseIsKept) {
  std::vector<Verdict> verdicts = {LowPeers("v1", {"v4"}, 1), NodeCause(v1::DISK_FULL, "v4")};
  FoldSymptoms(verdicts);
  EXPECT_EQ(verdicts.size(), 2u);
}

Verdict Flapping(const std::string& a, const std::string& b) {
  Verdict v;
  v.kind = v1::FLAPPING_LINK;
  v.cause_key = "FLAPPING_LINK:" + a + "-" + b;
  v.nodes = {a, b};
  v1::Link& l = v.links.emplace_back();
  l.set_from(a);
  l.set_to(b);
  return v;
}

Verdict Split(std::vector<std::vector<std::string>> groups) {
  Verdict v;
  v.kind = v1::PARTITION;
  v.cause_key = "PARTITION";
  for (const auto& g : groups) {
    v1::NodeGroup& group = v.groups.emplace_back();
    for (const std::string& n : g) group.add_nodes(n);
  }
  return v;
}

TEST(CauseMemoryTest, LinkAcrossARememberedSplitFoldsUnderItAfterTheSplitHealed) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  CauseMemory memory;
  memory.Remember(t0, {Split({{"v1", "v2"}, {"v3"}})}, 1);
  // Healed: the split's verdict is gone, its links' flapping still comes from it.
  std::vector<Verdict> verdicts = {Flapping("v1", "v3"), Flapping("v1", "v2")};
  FoldFlappingUnderCauses(t0 + absl::Seconds(30), absl::Minutes(2), memory, verdicts);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].cause_key, "FLAPPING_LINK:v1-v2");  // inside one side: its own fault
}

TEST(CauseMemoryTest, PresentCauseListsTheFlappingItAbsorbs) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  CauseMemory memory;
  std::vector<Verdict> verdicts = {NodeCause(v1::NODE_ISOLATED, "v4"), Flapping("v2", "v4")};
  memory.Remember(t0, verdicts, 1);
  FoldFlappingUnderCauses(t0, absl::Minutes(2), memory, verdicts);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_THAT(verdicts[0].absorbed, ElementsAre("FLAPPING_LINK:v2-v4"));
}

TEST(CauseMemoryTest, CutOlderThanTheFlapWindowExplainsNothing) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  CauseMemory memory;
  memory.Remember(t0, {NodeCause(v1::NODE_ISOLATED, "v4")}, 1);
  std::vector<Verdict> verdicts = {Flapping("v2", "v4")};
  FoldFlappingUnderCauses(t0 + absl::Minutes(3), absl::Minutes(2), memory, verdicts);
  EXPECT_EQ(verdicts.size(), 1u);
}

// A cause seen for fewer ticks in a row than it takes to open (a node looking isolated for one
// tick while its agent ran late) folds nothing; one that held does, for the flap window.
TEST(CauseMemoryTest, CauseThatNeverHeldExplainsNoFlapping) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  CauseMemory memory;
  memory.Remember(t0, {NodeCause(v1::NODE_ISOLATED, "v6")}, 3);
  memory.Remember(t0 + absl::Seconds(1), {}, 3);
  memory.Remember(t0 + absl::Seconds(2), {NodeCause(v1::NODE_ISOLATED, "v6")}, 3);
  memory.Remember(t0 + absl::Seconds(3), {NodeCause(v1::NODE_ISOLATED, "v6")}, 3);
  std::vector<Verdict> verdicts = {Flapping("v2", "v6")};
  FoldFlappingUnderCauses(t0 + absl::Seconds(10), absl::Minutes(2), memory, verdicts);
  EXPECT_EQ(verdicts.size(), 1u) << "two ticks in a row, three needed";

  memory.Remember(t0 + absl::Seconds(4), {NodeCause(v1::NODE_ISOLATED, "v6")}, 3);
  FoldFlappingUnderCauses(t0 + absl::Seconds(30), absl::Minutes(2), memory, verdicts);
  EXPECT_TRUE(verdicts.empty()) << "held three ticks: the isolation explains the link";
}

// A cause seen again is the same cut only with the same members on the same sides: the same
// names cut elsewhere, or other names in sides of the same sizes, are another shape, whose
// streak starts anew.
TEST(CauseMemoryTest, SplitOfTheSameSizesWithOtherSidesIsAnotherShape) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  auto folds = [&](CauseMemory& memory, const std::string& a, const std::string& b) {
    std::vector<Verdict> verdicts = {Flapping(a, b)};
    FoldFlappingUnderCauses(t0 + absl::Seconds(10), absl::Minutes(2), memory, verdicts);
    return verdicts.empty();
  };
  CauseMemory members;
  members.Remember(t0, {Split({{"v1", "v2"}, {"v3"}})}, 2);
  members.Remember(t0 + absl::Seconds(1), {Split({{"v1", "v3"}, {"v2"}})}, 2);
  EXPECT_FALSE(folds(members, "v1", "v3")) << "no shape held two ticks";
  EXPECT_FALSE(folds(members, "v2", "v3"));

  CauseMemory sides;
  sides.Remember(t0, {Split({{"v1", "v2"}, {"v3"}})}, 2);
  sides.Remember(t0 + absl::Seconds(1), {Split({{"v1"}, {"v2", "v3"}})}, 2);
  EXPECT_FALSE(folds(sides, "v2", "v3")) << "no shape held two ticks";
  EXPECT_FALSE(folds(sides, "v1", "v2"));
  sides.Remember(t0 + absl::Seconds(2), {Split({{"v1"}, {"v2", "v3"}})}, 2);
  EXPECT_TRUE(folds(sides, "v1", "v2")) << "{v1}|{v2,v3} held two ticks";
  EXPECT_FALSE(folds(sides, "v2", "v3"));
}

TEST(CauseMemoryTest, BridgeLinksOfAPartialPartitionAreNotCut) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  CauseMemory memory;
  Verdict partial = Split({{"v1", "v2"}, {"v5", "v6"}});
  partial.kind = v1::PARTIAL_PARTITION;
  partial.cause_key = "PARTIAL_PARTITION:v4";
  memory.Remember(t0, {partial}, 1);
  std::vector<Verdict> verdicts = {Flapping("v1", "v4"), Flapping("v2", "v5")};
  FoldFlappingUnderCauses(t0, absl::Minutes(2), memory, verdicts);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].cause_key, "FLAPPING_LINK:v1-v4");
}

class FoldingScenarioTest : public ::testing::Test {
 protected:
  Analyzer analyzer{TestConfig()};
  Timeline warmup;
  Timeline t;
};

TEST_F(FoldingScenarioTest, IsolatedNodeInADevnetOfFourIsOneIncidentNotFourLowPeers) {
  SyntheticFleet four(4);
  RunTicks(analyzer, four, 15, warmup);
  four.Isolate("v2");
  RunTicks(analyzer, four, 15, t);
  ASSERT_EQ(t.Ever(v1::NODE_ISOLATED).size(), 1u) << Summaries(t);
  EXPECT_THAT(t.Ever(v1::LOW_PEERS), IsEmpty()) << Summaries(t);
  v1::Incident inc = t.Ever(v1::NODE_ISOLATED)[0];
  EXPECT_THAT(inc.absorbed(), Contains("LOW_PEERS:v1"));
  EXPECT_THAT(inc.absorbed(), Contains("LOW_PEERS:v4"));
}

TEST_F(FoldingScenarioTest, PartitionCutHealedAndCutAgainWithinTheFlapWindowIsOneIncident) {
  SyntheticFleet fleet(7);
  RunTicks(analyzer, fleet, 20, warmup);
  for (int episode = 0; episode < 3; ++episode) {
    fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 7));
    RunTicks(analyzer, fleet, 10, t);
    fleet.Heal();
    RunTicks(analyzer, fleet, 12, t);
  }
  RunTicks(analyzer, fleet, 30, t);
  EXPECT_THAT(t.Ever(v1::FLAPPING_LINK), IsEmpty()) << Summaries(t);
  ASSERT_EQ(t.incidents.size(), 1u) << Summaries(t);
  v1::Incident inc = t.incidents.begin()->second;
  EXPECT_EQ(inc.kind(), v1::PARTITION);
  EXPECT_EQ(inc.state(), v1::RESOLVED);
  EXPECT_EQ(inc.episode_count(), 3u);
  ASSERT_EQ(inc.episodes_size(), 3);
  for (const v1::IncidentEpisode& e : inc.episodes()) EXPECT_GT(e.resolved_unix_ms(), 0);
}

TEST_F(FoldingScenarioTest, NodeIsolatedAgainAndAgainIsNotAlsoFlappingLinks) {
  SyntheticFleet fleet(7);  // seven: one lost validator leaves a margin (five would be at risk)
  RunTicks(analyzer, fleet, 20, warmup);
  for (int episode = 0; episode < 3; ++episode) {
    fleet.Isolate("v3");
    RunTicks(analyzer, fleet, 8, t);
    fleet.Heal();
    RunTicks(analyzer, fleet, 12, t);
  }
  EXPECT_THAT(t.Ever(v1::FLAPPING_LINK), IsEmpty()) << Summaries(t);
  EXPECT_EQ(t.KindsEver(), std::set<v1::IncidentKind>{v1::NODE_ISOLATED}) << Summaries(t);
  ASSERT_EQ(t.incidents.size(), 1u);
  EXPECT_EQ(t.incidents.begin()->second.episode_count(), 3u);
}

TEST_F(FoldingScenarioTest, ALinkFlappingInsideOneSideOfAnEarlierSplitIsStillFlapping) {
  SyntheticFleet fleet(7);
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 7));
  RunTicks(analyzer, fleet, 10, t);
  fleet.Heal();
  RunTicks(analyzer, fleet, 10, t);
  for (int cycle = 0; cycle < 4; ++cycle) {
    fleet.Cut({"v1"}, {"v2"});
    RunTicks(analyzer, fleet, 6, t);
    fleet.Heal();
    RunTicks(analyzer, fleet, 7, t);
  }
  ASSERT_EQ(t.Ever(v1::FLAPPING_LINK).size(), 1u) << Summaries(t);
  EXPECT_THAT(t.Ever(v1::FLAPPING_LINK)[0].nodes(), ElementsAre("v1", "v2"));
}

}  // namespace
}  // namespace guts::collector::testing
