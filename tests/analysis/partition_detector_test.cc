// The partition detector alone (partition_detector.cc): splits with and without a quorum side,
// bridges, isolated nodes and unreachable validators without an agent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(PartitionDetectorTest, FourThreeSplitOfSevenIsNoQuorumKeyedAsThePartitionCause) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("partition");
  harness.Run(fleet, 10);
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  const Verdict& split = verdicts[0];
  EXPECT_EQ(split.kind, v1::PARTITION_NO_QUORUM);
  EXPECT_EQ(split.kind_name, "PARTITION_NO_QUORUM");
  EXPECT_EQ(split.cause_key, "PARTITION");
  EXPECT_EQ(split.severity, v1::P1);
  ASSERT_THAT(split.groups, SizeIs(2));
  EXPECT_EQ(split.groups[0].weight(), 400u);
  EXPECT_FALSE(split.groups[0].has_quorum());
}

TEST(PartitionDetectorTest, FiveTwoSplitIsPartitionNamingTheMinority) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("partition");
  harness.Run(fleet, 10);
  fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 7));
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "PARTITION");
  EXPECT_EQ(verdicts[0].cause_key, "PARTITION");
  EXPECT_EQ(verdicts[0].severity, v1::P2);
  EXPECT_THAT(verdicts[0].nodes, ElementsAre("v6", "v7"));
}

// A split into more sides than a reader can take in one by one (a fleet-wide cut leaves every
// node alone): the groups name every side, the evidence and the summary the heaviest few and
// how many more there are.
TEST(PartitionDetectorTest, SplitIntoManySidesDescribesTheHeaviestAndCountsTheRest) {
  SyntheticFleet fleet(24);
  DetectorHarness harness("partition");
  harness.Run(fleet, 10);
  std::vector<std::vector<std::string>> sides = {fleet.Names(1, 4)};
  for (int first = 5; first <= 24; first += 2) sides.push_back(fleet.Names(first, first + 1));
  for (const auto& side : sides) {
    std::vector<std::string> rest;
    for (const std::string& name : fleet.Names(1, 24)) {
      if (std::find(side.begin(), side.end(), name) == side.end()) rest.push_back(name);
    }
    fleet.Cut(side, rest);
  }
  const std::vector<Verdict> splits = OfKind(harness.Run(fleet, 3), "PARTITION_NO_QUORUM");
  ASSERT_THAT(splits, SizeIs(1));
  const Verdict& split = splits[0];
  ASSERT_THAT(split.groups, SizeIs(11));
  int named = 0;
  for (const v1::NodeGroup& group : split.groups) named += group.nodes_size();
  EXPECT_EQ(named, 24);
  EXPECT_EQ(split.evidence.at("group 1"), "{v1,v2,v3,v4} (400)");
  for (int k = 2; k <= 8; ++k) EXPECT_TRUE(split.evidence.contains(absl::StrCat("group ", k)));
  EXPECT_FALSE(split.evidence.contains("group 9"));
  EXPECT_EQ(split.evidence.at("more groups"),
            "3 more sides of 6 nodes in all, each named in the incident's groups");
  EXPECT_THAT(split.summary, ::testing::StartsWith("network split 4|2|2|2|2|2|2|2|... (11 sides), "
                                                   "no side holds quorum"));
}

// A split of many nodes: the verdict names every cut-off node, its summary and evidence the
// first 32 of each list and how many there are.
TEST(PartitionDetectorTest, LargeSplitsSummaryShowsTheFirstNamesOfEachList) {
  SyntheticFleet fleet(150);
  DetectorHarness harness("partition");
  harness.Run(fleet, 10);
  fleet.Cut(fleet.Names(1, 110), fleet.Names(111, 150));
  const std::vector<Verdict> splits = OfKind(harness.Run(fleet, 3), "PARTITION");
  ASSERT_THAT(splits, SizeIs(1));
  const Verdict& split = splits[0];
  EXPECT_THAT(split.nodes, SizeIs(40));
  std::vector<std::string> cut_off = split.nodes;  // sorted by id: v111, v112, ...
  cut_off.resize(32);
  const std::string quorum_side =
      absl::StrCat("{",
                   absl::StrJoin(std::vector<std::string>(split.groups[0].nodes().begin(),
                                                          split.groups[0].nodes().begin() + 32),
                                 ","),
                   ",... (110 nodes)} (11000)");
  EXPECT_EQ(split.evidence.at("group 1"), quorum_side);
  EXPECT_EQ(split.summary,
            absl::StrCat("network split 110|40; quorum side ", quorum_side,
                         ", cut off: ", absl::StrJoin(cut_off, ","), ",... (40 nodes)"));
}

TEST(PartitionDetectorTest, NodeCutFromEveryPeerIsIsolatedAndNoSplit) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("partition");
  harness.Run(fleet, 10);
  fleet.Isolate("v6");
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "NODE_ISOLATED:v6");
  EXPECT_EQ(verdicts[0].severity, v1::P2);
  EXPECT_THAT(verdicts[0].nodes, ElementsAre("v6"));
}

TEST(PartitionDetectorTest, BridgeNodeLinkingTwoGroupsIsPartialPartitionKeyedByTheBridge) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("partition");
  harness.Run(fleet, 10);
  fleet.Cut({"v1", "v2", "v3"}, {"v5", "v6", "v7"});
  const std::vector<Verdict> partial = OfKind(harness.Run(fleet, 3), "PARTIAL_PARTITION");
  ASSERT_THAT(partial, SizeIs(1));
  EXPECT_EQ(partial[0].cause_key, "PARTIAL_PARTITION:v4");
  EXPECT_EQ(partial[0].severity, v1::P2);  // blocks still come
  EXPECT_THAT(partial[0].groups, SizeIs(2));
  EXPECT_EQ(partial[0].evidence.at("cut links"), "9");
}

// A split whose border node hears a peer of its own side, but that link has been quiet longer
// than a live link is (FleetModel::quiet_heard): it may be a cut still forming, and the split
// waits for it to settle. Once the link has crossed the window (no longer heard), the split is
// named again.
TEST(PartitionDetectorTest, SplitWaitsWhileALinkAtItsBorderAges) {
  SyntheticFleet fleet(7);
  fleet.SetAging(true);
  DetectorHarness harness("partition");
  harness.Run(fleet, 10);
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  ASSERT_THAT(OfKind(harness.Run(fleet, 4), "PARTITION_NO_QUORUM"), SizeIs(1));
  // v1 (with sessions to v5-v7 across the cut) stops hearing v2: 1.15 s quiet at the next
  // snapshot, past live_quiet_longest (1 s) and within peer_heard_within (2 s).
  fleet.SetHears("v1", "v2", false);
  EXPECT_THAT(OfKind(harness.Run(fleet, 1), "PARTITION_NO_QUORUM"), SizeIs(0));
  EXPECT_THAT(OfKind(harness.Run(fleet, 2), "PARTITION_NO_QUORUM"), SizeIs(1));
}

}  // namespace
}  // namespace guts::collector::testing
