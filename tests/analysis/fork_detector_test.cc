// The fork detector alone (fork_detector.cc): two block ids finalized at one height.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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

// The verdict's groups, each as its node names, in sorted order (the chains come in no set
// order).
std::vector<std::vector<std::string>> SortedGroupsOf(const Verdict& verdict) {
  std::vector<std::vector<std::string>> groups;
  for (const v1::NodeGroup& g : verdict.groups)
    groups.emplace_back(g.nodes().begin(), g.nodes().end());
  std::sort(groups.begin(), groups.end());
  return groups;
}

// The detector's state checks each node against the block the node before it in the view
// reported: nodes of the two chains alternating in the view must still each count for their own.
TEST(ForkDetectorTest, ForkedNodesBetweenTheOthersInTheViewEachCountForTheirOwnBlock) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("fork");
  harness.Run(fleet, 20);
  fleet.Fork({"v2", "v4", "v6"});
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  ASSERT_THAT(verdicts[0].groups, SizeIs(2));
  EXPECT_THAT(SortedGroupsOf(verdicts[0]),
              ElementsAre(ElementsAre("v1", "v3", "v5", "v7"), ElementsAre("v2", "v4", "v6")));
  EXPECT_EQ(verdicts[0].nodes, fleet.Names(1, 7));
}

// A chain slower than the ticks: every node reports the same block tick after tick, and the
// sighting's list of nodes folds each tick's reporters in once.
TEST(ForkDetectorTest, AForkReportedTickAfterTickNamesEachNodeOnce) {
  SyntheticFleet fleet(12);
  DetectorHarness harness("fork");
  harness.Run(fleet, 20);
  fleet.Fork({"v10", "v3", "v5"});
  harness.Run(fleet, 1);  // every node one block on: the fork's first height
  fleet.SetAllRates(0);
  const std::vector<Verdict> verdicts = harness.Run(fleet, 6);
  ASSERT_THAT(verdicts, SizeIs(1));
  ASSERT_THAT(verdicts[0].groups, SizeIs(2));
  EXPECT_THAT(SortedGroupsOf(verdicts[0]),
              ElementsAre(ElementsAre("v1", "v11", "v12", "v2", "v4", "v6", "v7", "v8", "v9"),
                          ElementsAre("v10", "v3", "v5")));
}

// An agent samples its node's height once a snapshot: a node whose chain moved two blocks
// between two snapshots is never seen at the fork's height. It is still on its chain: the
// nodes that report the same block as its chain at a later height name it (seen in the S18
// scenario, where the cut between the chains then showed as a second incident).
TEST(ForkDetectorTest, ANodeNeverSeenAtTheForkHeightIsOnTheChainItReportsAfter) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("fork");
  harness.Run(fleet, 20);
  fleet.Fork({"v5", "v6", "v7"});
  fleet.SetRate("v3", 2);  // v3 goes past the fork's height between two snapshots
  harness.Run(fleet, 1);
  fleet.SetRate("v3", 1);
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  ASSERT_THAT(verdicts[0].groups, SizeIs(2));
  EXPECT_THAT(SortedGroupsOf(verdicts[0]),
              ElementsAre(ElementsAre("v1", "v2", "v3", "v4"), ElementsAre("v5", "v6", "v7")));
  EXPECT_EQ(verdicts[0].nodes, fleet.Names(1, 7));
}

}  // namespace
}  // namespace guts::collector::testing
