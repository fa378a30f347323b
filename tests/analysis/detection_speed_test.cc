// How many snapshots after a fault its incident opens, with session ages that grow from the
// moment a link goes quiet (SyntheticFleet::SetAging), one snapshot and one tick a second. The
// scenario rows' budgets (5 s for cuts and one-way links, 3 s for a dead node) include up to a
// second of snapshot phase and a second of tick phase that these steps do not have; the counts
// here leave that room. And the shapes a fast verdict must not be fooled by: one end of a cut
// reporting late, every link quiet at once.
#include <gtest/gtest.h>

#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;

// Steps until an incident of `kind` is open, at most `limit` snapshots; the snapshots it took
// (limit + 1 when it never opened).
int SnapshotsUntilOpen(Analyzer& analyzer, SyntheticFleet& fleet, Timeline& t,
                       v1::IncidentKind kind, int limit) {
  for (int k = 1; k <= limit; ++k) {
    RunTicks(analyzer, fleet, 1, t);
    for (const v1::Incident& inc : t.Open()) {
      if (inc.kind() == kind) return k;
    }
  }
  return limit + 1;
}

struct Healthy {
  SyntheticFleet fleet{7};
  Analyzer analyzer{TestConfig()};
  Timeline t;
  Healthy() {
    fleet.SetAging(true);
    RunTicks(analyzer, fleet, 10, t);
  }
};

TEST(DetectionSpeed, CutBetweenGroupsOpensPartitionTwoSnapshotsAfter) {
  Healthy h;
  h.fleet.Cut(h.fleet.Names(1, 5), h.fleet.Names(6, 7));
  // Quiet past peer_heard_within (2 s) at the second snapshot; confirmed by both ends, so the
  // tick that sees it opens it.
  EXPECT_LE(SnapshotsUntilOpen(h.analyzer, h.fleet, h.t, v1::PARTITION, 10), 2) << Summaries(h.t);
  RunTicks(h.analyzer, h.fleet, 5, h.t);
  EXPECT_EQ(h.t.KindsEver(), std::set<v1::IncidentKind>{v1::PARTITION}) << Summaries(h.t);
}

TEST(DetectionSpeed, IsolatedNodeOpensTwoSnapshotsAfter) {
  Healthy h;
  h.fleet.Isolate("v6");
  EXPECT_LE(SnapshotsUntilOpen(h.analyzer, h.fleet, h.t, v1::NODE_ISOLATED, 10), 2)
      << Summaries(h.t);
}

TEST(DetectionSpeed, DroppedDirectionOpensOneWayLinkThreeSnapshotsAfter) {
  Healthy h;
  h.fleet.SetHears("v5", "v3", false);
  // Quiet past 2 s at the second snapshot, proven one-way there (v3 still hears v5), one more
  // tick against a healing link's shape.
  EXPECT_LE(SnapshotsUntilOpen(h.analyzer, h.fleet, h.t, v1::ONE_WAY_LINK, 10), 3)
      << Summaries(h.t);
  v1::Incident inc = Only(h.t, v1::ONE_WAY_LINK);
  ASSERT_EQ(inc.links_size(), 1);
  EXPECT_EQ(inc.links(0).from(), "v3");
  EXPECT_EQ(inc.links(0).to(), "v5");
}

TEST(DetectionSpeed, NodeReceivingNothingOpensOneWayIsolationThreeSnapshotsAfter) {
  Healthy h;
  for (int j = 1; j <= 7; ++j) {
    if (j != 2) h.fleet.SetHears("v2", SyntheticFleet::Name(j - 1), false);
  }
  EXPECT_LE(SnapshotsUntilOpen(h.analyzer, h.fleet, h.t, v1::NODE_ONE_WAY_ISOLATION, 10), 3)
      << Summaries(h.t);
}

TEST(DetectionSpeed, KilledNodeAndAgentIsDownAtTheFirstSnapshotAfter) {
  Healthy h;
  h.fleet.Kill("v4");
  // Its sessions closed and its agent's stream with them: no need to wait for phi.
  EXPECT_LE(SnapshotsUntilOpen(h.analyzer, h.fleet, h.t, v1::NODE_DOWN, 10), 1) << Summaries(h.t);
  RunTicks(h.analyzer, h.fleet, 5, h.t);
  EXPECT_EQ(h.t.KindsEver(), std::set<v1::IncidentKind>{v1::NODE_DOWN}) << Summaries(h.t);
}

// The node process dies and its agent stays: the agent's API probe fails and no peer hears the
// node. Two snapshots must agree before it is down, since a node stalled for a moment (a GC
// pause, a starved host) fails both at once for one snapshot and is back in the next.
TEST(DetectionSpeed, NodeUnreachableToItsAgentAndUnheardIsDownAtTheSecondSnapshot) {
  Healthy h;
  h.fleet.ProcessDown("v4");
  EXPECT_EQ(SnapshotsUntilOpen(h.analyzer, h.fleet, h.t, v1::NODE_DOWN, 10), 2) << Summaries(h.t);
}

TEST(DetectionSpeed, NodeStalledForOneSnapshotIsNotDown) {
  Healthy h;
  h.fleet.ProcessDown("v4");
  RunTicks(h.analyzer, h.fleet, 1, h.t);
  h.fleet.Restart("v4");
  RunTicks(h.analyzer, h.fleet, 10, h.t);
  EXPECT_TRUE(h.t.KindsEver().empty()) << Summaries(h.t);
}

// A three-way split whose border links cross the window in two snapshots (ages jump here, so
// no ageing link holds the shape back): for one snapshot v2 and v8 still hear a second group
// and look like bridges. A bridge must hold two ticks; the split opens alone.
TEST(DetectionSpeed, BridgeSeenForOneSnapshotWhileASplitFormsOpensNoPartialPartition) {
  SyntheticFleet fleet(9);
  Analyzer analyzer(TestConfig());
  Timeline t;
  RunTicks(analyzer, fleet, 10, t);
  const std::vector<std::string> a = {"v1", "v2", "v3"}, b = {"v4", "v5", "v6"},
                                 c = {"v7", "v8", "v9"};
  fleet.Cut(a, c);
  fleet.Cut({"v1", "v3"}, b);
  fleet.Cut(b, {"v7", "v9"});
  RunTicks(analyzer, fleet, 1, t);  // v2 and v8 still hear b
  fleet.Cut(a, b);
  fleet.Cut(b, c);
  RunTicks(analyzer, fleet, 5, t);
  EXPECT_EQ(t.KindsEver(), std::set<v1::IncidentKind>{v1::PARTITION_NO_QUORUM}) << Summaries(t);
}

// A validator without an agent that its peers stop hearing for one snapshot (a split forming
// around it, a stall) is not unreachable; for two, it is.
TEST(DetectionSpeed, UnobservedValidatorUnheardForOneSnapshotIsNotUnreachable) {
  SyntheticFleet fleet(7);
  fleet.RemoveAgent("v5");
  Analyzer analyzer(TestConfig());
  Timeline t;
  RunTicks(analyzer, fleet, 10, t);
  fleet.Isolate("v5");
  RunTicks(analyzer, fleet, 1, t);
  fleet.Heal();
  RunTicks(analyzer, fleet, 5, t);
  EXPECT_TRUE(t.KindsEver().empty()) << Summaries(t);
  fleet.Isolate("v5");
  RunTicks(analyzer, fleet, 2, t);
  EXPECT_EQ(t.KindsEver(), std::set<v1::IncidentKind>{v1::VALIDATOR_UNREACHABLE}) << Summaries(t);
}

TEST(DetectionSpeed, SideReportingLateDuringACutOpensNoOneWayVerdict) {
  Healthy h;
  // The minority's agents are late (a busy host) while the cut begins: their last snapshots,
  // taken before it, still hear the majority, which no longer hears them.
  h.fleet.AgentCutFromCollector("v6", true);
  h.fleet.AgentCutFromCollector("v7", true);
  h.fleet.Cut(h.fleet.Names(1, 5), h.fleet.Names(6, 7));
  RunTicks(h.analyzer, h.fleet, 2, h.t);
  h.fleet.AgentCutFromCollector("v6", false);
  h.fleet.AgentCutFromCollector("v7", false);
  RunTicks(h.analyzer, h.fleet, 8, h.t);
  EXPECT_EQ(h.t.KindsEver(), std::set<v1::IncidentKind>{v1::PARTITION}) << Summaries(h.t);
}

TEST(DetectionSpeed, CutWhoseLastLinkCrossesTheWindowLaterOpensNoTransientBridge) {
  Healthy h;
  // A 4|3 split whose v4-v5 link went quiet a second after the others (its heartbeat came
  // later): for a snapshot v4 and v5 look like bridges between two groups.
  std::vector<std::string> a = h.fleet.Names(1, 4), b = h.fleet.Names(5, 7);
  for (const std::string& x : a) {
    for (const std::string& y : b) {
      if (x == "v4" && y == "v5") continue;
      h.fleet.SetHears(x, y, false);
      h.fleet.SetHears(y, x, false);
    }
  }
  RunTicks(h.analyzer, h.fleet, 1, h.t);
  h.fleet.Cut({"v4"}, {"v5"});
  EXPECT_LE(SnapshotsUntilOpen(h.analyzer, h.fleet, h.t, v1::PARTITION_NO_QUORUM, 10), 3)
      << Summaries(h.t);
  RunTicks(h.analyzer, h.fleet, 5, h.t);
  EXPECT_EQ(h.t.KindsEver(), std::set<v1::IncidentKind>{v1::PARTITION_NO_QUORUM}) << Summaries(h.t);
}

TEST(DetectionSpeed, EveryLinkQuietAtOnceForTwoSnapshotsOpensNothing) {
  Healthy h;
  // The whole network (or the host running it) stalls for two snapshots: not a cut per link.
  for (int i = 1; i <= 7; ++i) h.fleet.Isolate(SyntheticFleet::Name(i - 1));
  RunTicks(h.analyzer, h.fleet, 3, h.t);
  h.fleet.Heal();
  RunTicks(h.analyzer, h.fleet, 10, h.t);
  EXPECT_TRUE(h.t.incidents.empty()) << Summaries(h.t);
}

TEST(DetectionSpeed, AgentPausedTwoSecondsWhileItsNodeRunsOpensNothing) {
  Healthy h;
  h.fleet.AgentCutFromCollector("v3", true);
  RunTicks(h.analyzer, h.fleet, 2, h.t);
  h.fleet.AgentCutFromCollector("v3", false);
  RunTicks(h.analyzer, h.fleet, 10, h.t);
  EXPECT_TRUE(h.t.incidents.empty()) << Summaries(h.t);
}

}  // namespace
}  // namespace guts::collector::testing
