// Every row of SCENARIOS.md as a synthetic fleet, plus variants (other sizes, uneven weights,
// several faults at once). One tick is one second; enter after 3 ticks, clear after 5.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Every row runs in both modes: simulation (API validator list, weights of 100) and Simplex
// (participants from the configs, one vote each, digests and rounds from the log).
class ScenarioTest : public ::testing::TestWithParam<bool> {
 protected:
  void Warm(int ticks = 20) { RunTicks(analyzer, fleet, ticks, warmup); }
  void Run(int ticks) { RunTicks(analyzer, fleet, ticks, t); }
  bool simplex() const { return GetParam(); }
  // A weight of the simulation fleet (100 per validator) as the mode counts it.
  uint64_t W(uint64_t simulation) const { return simplex() ? simulation / 100 : simulation; }

  SyntheticFleet::ModeScope mode{GetParam()};

  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet{7};
  Timeline warmup;
  Timeline t;
};

TEST_P(ScenarioTest, HealthyFleetWithJitterPausesAndChurnOpensNothing) {  // S01
  fleet.SetJitter(absl::Milliseconds(300));
  Warm();
  for (int round = 0; round < 20; ++round) {
    fleet.AgentCutFromCollector("v3", true);  // a 2 s agent pause
    Run(2);
    fleet.AgentCutFromCollector("v3", false);
    fleet.DropSessions("v1", "v5");  // peer churn: a session closes and comes back
    Run(1);
    fleet.Heal();
    Run(10);
  }
  EXPECT_TRUE(warmup.incidents.empty());
  EXPECT_TRUE(t.incidents.empty()) << t.incidents.begin()->second.summary();
}

TEST_P(ScenarioTest, FiveTwoSplitKeepsQuorumAndNamesTheMinority) {  // S02
  Warm();
  fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 7));
  fleet.SetRate("v6", 0);
  fleet.SetRate("v7", 0);
  Run(10);
  v1::Incident inc = Only(t, v1::PARTITION);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v6", "v7"));
  EXPECT_THAT(GroupsOf(inc), ElementsAre(fleet.Names(1, 5), fleet.Names(6, 7)));
  EXPECT_LE(t.opened_at_tick.begin()->second, 4);
  EXPECT_EQ(inc.runbook().name(), "network-partition");
  EXPECT_EQ(inc.groups(0).weight(), W(500));
  EXPECT_TRUE(inc.groups(0).has_quorum());
}

TEST_P(ScenarioTest, FourThreeSplitOfSevenHaltsBothSides) {  // S03
  Warm();
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  fleet.SetAllRates(0);
  Run(45);  // past the 30 s stall threshold: the halt folds under the partition
  v1::Incident inc = Only(t, v1::PARTITION_NO_QUORUM);
  EXPECT_EQ(inc.severity(), v1::P1);
  EXPECT_THAT(GroupsOf(inc), ElementsAre(fleet.Names(1, 4), fleet.Names(5, 7)));
  EXPECT_EQ(inc.groups(0).weight() + inc.groups(1).weight(), W(700));
  EXPECT_EQ(inc.evidence().at("quorum_weight"), simplex() ? "5" : "467");
  EXPECT_NE(std::find(inc.absorbed().begin(), inc.absorbed().end(), "CONSENSUS_STUCK"),
            inc.absorbed().end());
  EXPECT_EQ(inc.state(), v1::OPEN);
}

TEST_P(ScenarioTest, PartitionClearsAfterHealWithinThirtySeconds) {
  Warm();
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  fleet.SetAllRates(0);
  Run(10);
  fleet.Heal();
  fleet.SetAllRates(1);
  Run(8);
  v1::Incident inc = Only(t, v1::PARTITION_NO_QUORUM);
  EXPECT_EQ(inc.state(), v1::RESOLVED);
  EXPECT_TRUE(t.last.open_incidents.empty());
  EXPECT_EQ(inc.timeline().rbegin()->event(), "resolved");
}

TEST_P(ScenarioTest, ChainStillHaltedJustAfterALongSplitHealsIsNotAlsoStuck) {
  Warm();
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  fleet.SetAllRates(0);
  Run(45);  // past the stall threshold: the halt is folded under the partition
  fleet.Heal();
  Run(10);  // whole again, blocks not yet resumed (views still timing out)
  fleet.SetAllRates(1);
  Run(8);
  v1::Incident inc = Only(t, v1::PARTITION_NO_QUORUM);
  EXPECT_EQ(inc.state(), v1::RESOLVED);
  EXPECT_TRUE(t.Ever(v1::CONSENSUS_STUCK).empty());
}

TEST_P(ScenarioTest, ThreeWaySplitOfNineHasNoQuorum) {  // S04
  SyntheticFleet nine(9);
  RunTicks(analyzer, nine, 10, warmup);
  nine.Cut(nine.Names(1, 3), nine.Names(4, 9));
  nine.Cut(nine.Names(4, 6), nine.Names(7, 9));
  nine.SetAllRates(0);
  RunTicks(analyzer, nine, 10, t);
  v1::Incident inc = Only(t, v1::PARTITION_NO_QUORUM);
  EXPECT_EQ(inc.severity(), v1::P1);
  EXPECT_THAT(GroupsOf(inc), ElementsAre(nine.Names(1, 3), nine.Names(4, 6), nine.Names(7, 9)));
}

TEST_P(ScenarioTest, BridgeNodeLinkingTwoGroupsIsPartialPartitionAndP1WhenHeightStalls) {  // S05
  Warm();
  fleet.Cut({"v1", "v2", "v3"}, {"v5", "v6", "v7"});
  fleet.SetAllRates(0);
  Run(10);
  v1::Incident inc = Only(t, v1::PARTIAL_PARTITION);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v4"));
  EXPECT_THAT(GroupsOf(inc), ElementsAre(fleet.Names(1, 3), fleet.Names(5, 7)));
  Run(10);  // 20 s without a block: past progress_stall (15 s)
  inc = Only(t, v1::PARTIAL_PARTITION);
  EXPECT_EQ(inc.severity(), v1::P1);
  bool recorded = false;
  for (const auto& e : inc.timeline()) recorded |= e.event() == "severity P2 -> P1";
  EXPECT_TRUE(recorded);
}

TEST_P(ScenarioTest, DroppedDirectionIsOneWayLinkNamingTheOrderedPair) {  // S06
  Warm();
  fleet.SetHears("v5", "v3", false);  // v3 -> v5 lost
  Run(15);
  v1::Incident inc = Only(t, v1::ONE_WAY_LINK);
  EXPECT_EQ(inc.severity(), v1::P3);
  ASSERT_EQ(inc.links_size(), 1);
  EXPECT_EQ(inc.links(0).from(), "v3");
  EXPECT_EQ(inc.links(0).to(), "v5");
}

TEST_P(ScenarioTest, OneWayLinkInADevnetOfFourFoldsTheLowPeersItCauses) {
  // v4 expects three peers; losing what v3 sends leaves it two: the one-way link is the cause.
  SyntheticFleet four(4);
  RunTicks(analyzer, four, 10, warmup);
  four.SetHears("v4", "v3", false);
  RunTicks(analyzer, four, 15, t);
  EXPECT_EQ(t.KindsEver(), (std::set<v1::IncidentKind>{v1::ONE_WAY_LINK}));
}

TEST_P(ScenarioTest, NodeReceivingNothingIsOneWayIsolatedInbound) {  // S07
  Warm();
  for (int j = 1; j <= 7; ++j) {
    if (j != 2) fleet.SetHears("v2", SyntheticFleet::Name(j - 1), false);
  }
  Run(15);
  v1::Incident inc = Only(t, v1::NODE_ONE_WAY_ISOLATION);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v2"));
  EXPECT_EQ(inc.evidence().at("direction"), "inbound");
  EXPECT_EQ(t.last.nodes.at("v2").state, v1::ISOLATED);
}

TEST_P(ScenarioTest, NobodyHearingANodeIsOneWayIsolatedOutbound) {
  Warm();
  for (int j = 1; j <= 7; ++j) {
    if (j != 6) fleet.SetHears(SyntheticFleet::Name(j - 1), "v6", false);
  }
  Run(10);
  v1::Incident inc = Only(t, v1::NODE_ONE_WAY_ISOLATION);
  EXPECT_EQ(inc.evidence().at("direction"), "outbound");
}

TEST_P(ScenarioTest, NodeCutFromAllPeersStillReportingIsIsolated) {  // S08
  Warm();
  fleet.Isolate("v6");
  fleet.SetRate("v6", 0);
  Run(10);
  v1::Incident inc = Only(t, v1::NODE_ISOLATED);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v6"));
  EXPECT_EQ(t.last.nodes.at("v6").state, v1::ISOLATED);
}

TEST_P(ScenarioTest, KilledNodeIsDownConfirmedByItsPeers) {  // S09
  Warm();
  fleet.Kill("v4");
  Run(10);
  v1::Incident inc = Only(t, v1::NODE_DOWN);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v4"));
  EXPECT_EQ(inc.evidence().at("peers hearing it"), "0");
  EXPECT_EQ(t.last.nodes.at("v4").state, v1::DOWN);
  EXPECT_EQ(inc.runbook().name(), "validator-down");
}

TEST_P(ScenarioTest, AgentsCutFromTheCollectorAreUnreachableNotDown) {  // S10
  Warm();
  fleet.AgentCutFromCollector("v2", true);
  fleet.AgentCutFromCollector("v3", true);
  Run(15);
  v1::Incident inc = Only(t, v1::COLLECTOR_UNREACHABLE);
  EXPECT_EQ(inc.severity(), v1::P3);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v2", "v3"));
  EXPECT_EQ(t.last.nodes.at("v2").state, v1::UNREACHABLE);
  fleet.AgentCutFromCollector("v2", false);
  fleet.AgentCutFromCollector("v3", false);
  Run(8);
  EXPECT_TRUE(t.last.open_incidents.empty());
}

TEST_P(ScenarioTest, LeadersFailingToProposeIsStuckWithViewsClimbing) {  // S11
  Warm();
  fleet.SetAllRates(0);
  fleet.SetViewClimb(true);
  Run(36);
  v1::Incident inc = Only(t, v1::CONSENSUS_STUCK);
  EXPECT_EQ(inc.severity(), v1::P1);
  EXPECT_EQ(inc.evidence().at("cause"), "views climbing");
  EXPECT_EQ(NodesOf(inc), fleet.Names(1, 7));
  EXPECT_EQ(inc.height(), 120u);
  EXPECT_GE(t.opened_at_tick.begin()->second, 30);
}

TEST_P(ScenarioTest, ApplicationHaltIsStuckWithViewSteady) {  // S12
  Warm();
  fleet.SetAllRates(0);
  Run(36);
  v1::Incident inc = Only(t, v1::CONSENSUS_STUCK);
  EXPECT_EQ(inc.evidence().at("cause"), "application halt (view steady)");
  EXPECT_EQ(inc.height(), 120u);
}

TEST_P(ScenarioTest, KilledLeaderIsNodeDownOnlyWhenBlocksResume) {  // S13
  Warm();
  fleet.Kill("v1");
  fleet.SetViewClimb(true);
  Run(40);
  v1::Incident inc = Only(t, v1::NODE_DOWN);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v1"));
}

TEST_P(ScenarioTest, HalfSpeedNodeIsLaggingWithItsLag) {  // S14
  Warm();
  fleet.SetRate("v5", 0.5);
  Run(30);
  v1::Incident inc = Only(t, v1::NODE_LAGGING);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v5"));
  EXPECT_GE(std::stoi(inc.evidence().at("lag")), 5);
  EXPECT_GT(t.last.nodes.at("v5").lag, 5u);
}

TEST_P(ScenarioTest, RestartedNodeCatchingUpIsNotLagging) {  // S15
  Warm();
  fleet.Kill("v5");
  fleet.SetRate("v5", 0);
  Run(20);
  fleet.Restart("v5");
  fleet.SetRate("v5", 4);  // syncing: lag shrinking
  Run(30);
  EXPECT_EQ(t.KindsEver(), std::set<v1::IncidentKind>{v1::NODE_DOWN});
  EXPECT_TRUE(t.last.open_incidents.empty());
}

TEST_P(ScenarioTest, SixtyPercentLosingHalfTheirPeersIsOneFleetPeerLoss) {  // S16
  SyntheticFleet ten(10);
  RunTicks(analyzer, ten, 10, warmup);
  // v1..v6 stop hearing each other: each loses 5 of its 9 peers, while v7..v10 still hear
  // everyone, so the graph stays connected.
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) {
      if (i != j) ten.SetHears(SyntheticFleet::Name(i), SyntheticFleet::Name(j), false);
    }
  }
  RunTicks(analyzer, ten, 15, t);
  v1::Incident inc = Only(t, v1::FLEET_PEER_LOSS);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAreArray(ten.Names(1, 6)));
}

TEST_P(ScenarioTest, LinkGoingUpAndDownIsOneFlappingLinkThatClears) {  // S17
  Warm();
  for (int cycle = 0; cycle < 6; ++cycle) {
    fleet.Cut({"v2"}, {"v6"});
    Run(6);
    fleet.Heal();
    Run(7);
  }
  v1::Incident inc = Only(t, v1::FLAPPING_LINK);
  EXPECT_EQ(inc.severity(), v1::P3);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v2", "v6"));
  EXPECT_LE(t.opened_at_tick.begin()->second, 60);
  Run(30);
  EXPECT_TRUE(t.last.open_incidents.empty());
}

// Issue #6: a restart takes a node's links down and up again; two neighbours restarting a
// minute apart (S21 without the maintenance window) made four changes of their link within the
// flap window, which is not a flapping link.
TEST_P(ScenarioTest, NeighboursRestartingAMinuteApartOpenNoFlappingLink) {
  Warm();
  for (const char* node : {"v2", "v3"}) {
    fleet.ProcessDown(node);  // the agent keeps reporting: the node is seen down, not silent
    fleet.SetRate(node, 0);
    Run(15);
    fleet.Restart(node);
    fleet.SetRate(node, 2);
    Run(10);
    fleet.SetRate(node, 1);
    Run(35);
  }
  EXPECT_TRUE(t.Ever(v1::FLAPPING_LINK).empty()) << t.Ever(v1::FLAPPING_LINK)[0].summary();
  // The restarts were seen for what they were.
  std::vector<std::string> down;
  for (const v1::Incident& inc : t.Ever(v1::NODE_DOWN)) {
    for (const std::string& node : NodesOf(inc)) down.push_back(node);
  }
  std::sort(down.begin(), down.end());
  EXPECT_THAT(down, ElementsAre("v2", "v3"));
}

// The same with restarts too quick for any snapshot to catch the node down: the agent's signs
// of a restart are enough.
TEST(RestartScenarioTest, NeighboursRestartingQuicklyAMinuteApartOpenNothing) {
  using RestartSeen = SyntheticFleet::RestartSeen;
  for (RestartSeen seen :
       {RestartSeen::kUptime, RestartSeen::kNewPid, RestartSeen::kAgentReconnect}) {
    SCOPED_TRACE(seen == RestartSeen::kUptime   ? "uptime went back"
                 : seen == RestartSeen::kNewPid ? "new node process"
                                                : "agent reconnected");
    Analyzer analyzer(TestConfig());
    SyntheticFleet fleet(7);
    Timeline warmup, t;
    RunTicks(analyzer, fleet, 20, warmup);
    for (const char* node : {"v2", "v3"}) {
      fleet.QuickRestart(node, seen);
      RunTicks(analyzer, fleet, 60, t);
    }
    EXPECT_TRUE(t.incidents.empty()) << t.incidents.begin()->second.summary();
  }
}

TEST_P(ScenarioTest, TwoBlockIdsAtOneHeightIsFork) {  // S18
  Warm();
  fleet.Fork({"v5", "v6", "v7"});
  Run(10);
  v1::Incident inc = Only(t, v1::FORK);
  EXPECT_EQ(inc.severity(), v1::P1);
  EXPECT_THAT(GroupsOf(inc), ElementsAre(fleet.Names(1, 4), fleet.Names(5, 7)));
  EXPECT_EQ(inc.height(), 121u);
}

TEST_P(ScenarioTest, ForkBetweenTwoCutGroupsIsOneForkIncident) {
  // The cut's links age from the cut, as real sockets' do: the partition shows once they are
  // quiet past peer_heard_within, not at the first snapshot, which the fork's two ids can.
  fleet.SetAging(true);
  Warm();
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  fleet.Fork(fleet.Names(5, 7));
  Run(10);
  v1::Incident inc = Only(t, v1::FORK);
  EXPECT_NE(std::find(inc.absorbed().begin(), inc.absorbed().end(), "PARTITION"),
            inc.absorbed().end());
}

TEST_P(ScenarioTest, FourNodesOneDownIsNodeDownAndQuorumAtRisk) {  // S19
  SyntheticFleet four(4);
  RunTicks(analyzer, four, 10, warmup);
  four.Kill("v4");
  RunTicks(analyzer, four, 10, t);
  EXPECT_EQ(t.KindsEver(), (std::set<v1::IncidentKind>{v1::NODE_DOWN, v1::QUORUM_AT_RISK}));
  v1::Incident risk = t.Ever(v1::QUORUM_AT_RISK)[0];
  EXPECT_EQ(risk.severity(), v1::P2);
  EXPECT_EQ(risk.evidence().at("margin"), simplex() ? "0" : "33");  // 3 up of 4, quorum 3
  EXPECT_THAT(NodesOf(t.Ever(v1::NODE_DOWN)[0]), ElementsAre("v4"));
}

TEST_P(ScenarioTest, FourNodesOneProcessGoneWhileItsAgentReportsRaisesNoLowPeers) {
  // A devnet of four: each node expects three peers. v4's process dies but its agent keeps
  // reporting; the others hearing two peers is v4's absence, not three more incidents.
  SyntheticFleet four(4);
  RunTicks(analyzer, four, 10, warmup);
  four.ProcessDown("v4");
  RunTicks(analyzer, four, 10, t);
  EXPECT_EQ(t.KindsEver(), (std::set<v1::IncidentKind>{v1::NODE_DOWN, v1::QUORUM_AT_RISK}));
  EXPECT_THAT(NodesOf(t.Ever(v1::NODE_DOWN)[0]), ElementsAre("v4"));
}

TEST_P(ScenarioTest, SkewedClockRaisesClockSkewOnly) {  // S20
  Warm();
  fleet.SetClockOffset("v3", absl::Minutes(5));
  Run(30);
  v1::Incident inc = Only(t, v1::CLOCK_SKEW);
  EXPECT_EQ(inc.severity(), v1::P3);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v3"));
}

TEST_P(ScenarioTest, RollingRestartInDeclaredMaintenancePagesNobody) {  // S21
  AnalysisConfig config = TestConfig();
  config.maintenance.push_back({fleet.now(), fleet.now() + absl::Minutes(30)});
  Analyzer maintained(config);
  RunTicks(maintained, fleet, 10, warmup);
  for (int i = 1; i <= 7; ++i) {
    std::string node = SyntheticFleet::Name(i - 1);
    fleet.Kill(node);
    fleet.SetRate(node, 0);
    RunTicks(maintained, fleet, 10, t);
    fleet.Restart(node);
    fleet.SetRate(node, 2);
    RunTicks(maintained, fleet, 10, t);
    fleet.SetRate(node, 1);
    RunTicks(maintained, fleet, 40, t);
  }
  for (const auto& [id, inc] : t.incidents) {
    EXPECT_EQ(inc.severity(), v1::P3) << inc.summary();
  }
}

TEST_P(ScenarioTest, NodeLabelledMaintenanceRestartingPagesNobody) {
  fleet.SetLabel("v2", "maintenance", "true");
  Warm();
  fleet.Kill("v2");
  Run(10);
  v1::Incident inc = Only(t, v1::NODE_DOWN);
  EXPECT_EQ(inc.severity(), v1::P3);
}

TEST_P(ScenarioTest, DataDirAboveNinetyPercentIsDiskFullP1) {  // S22
  Warm();
  fleet.SetDiskUsed("v2", 0.93);
  Run(10);
  v1::Incident inc = Only(t, v1::DISK_FULL);
  EXPECT_EQ(inc.severity(), v1::P1);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v2"));
  EXPECT_EQ(inc.runbook().name(), "disk-full");
}

TEST_P(ScenarioTest, DiskWarningBecomingCriticalIsOneIncidentWithSeverityChange) {
  Warm();
  fleet.SetDiskUsed("v2", 0.85);
  Run(5);
  fleet.SetDiskUsed("v2", 0.95);
  Run(5);
  v1::Incident inc = Only(t, v1::DISK_FULL);
  EXPECT_EQ(inc.severity(), v1::P1);
  EXPECT_EQ(inc.timeline(1).event(), "severity P3 -> P1");
}

TEST_P(ScenarioTest, ConfigFallbackIsP2) {  // S23
  Warm();
  fleet.SetConfigFallback("v7");
  Run(10);
  v1::Incident inc = Only(t, v1::CONFIG_FALLBACK);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v7"));
  // In Simplex mode the node is down to everyone for that one cause: no NODE_DOWN of its own.
  EXPECT_TRUE(t.Ever(v1::NODE_DOWN).empty());
}

TEST_P(ScenarioTest, OverloadedCollectorIsDegradedWithoutNodeDown) {  // S24
  Warm();
  fleet.SetOverloaded(true, absl::Seconds(12));
  fleet.AgentCutFromCollector("v4", true);  // its snapshots sit in the ingest queue
  fleet.AgentCutFromCollector("v5", true);
  Run(15);
  v1::Incident inc = Only(t, v1::COLLECTOR_DEGRADED);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_EQ(t.last.nodes.at("v4").state, v1::UNKNOWN);
}

TEST_P(ScenarioTest, CorruptionLinesAreDataCorruptionP1) {
  Warm();
  fleet.SetCorruptionLines("v3", 2);
  Run(5);
  v1::Incident inc = Only(t, v1::DATA_CORRUPTION);
  EXPECT_EQ(inc.severity(), v1::P1);
}

TEST_P(ScenarioTest, NodeProcessGoneWhileAgentReportsIsDown) {
  Warm();
  fleet.ProcessDown("v3");
  Run(10);
  v1::Incident inc = Only(t, v1::NODE_DOWN);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v3"));
  // Its own snapshot has no validator list now; the fleet's list still gives its weight.
  EXPECT_EQ(t.last.nodes.at("v3").weight, W(100));
}

INSTANTIATE_TEST_SUITE_P(BothModes, ScenarioTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Simplex" : "Simulation";
                         });

// Variants: other sizes, uneven weights, several faults at once.

TEST(ScenarioVariantTest, HundredNodesUnevenWeightsSplitSixtyFortyWithoutQuorum) {
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(100);
  std::vector<uint64_t> weights;
  for (int i = 0; i < 100; ++i) weights.push_back(i < 10 ? 300 : 50);  // 3000 + 4500
  fleet.SetWeights(weights);
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 8, warmup);
  // Quorum 5000 of 7500. {v6..v60} holds 5 heavy + 50 light = 4000; {v1..v5, v61..v100}
  // holds 5 heavy + 40 light = 3500: the larger side is no quorum.
  std::vector<std::string> a = fleet.Names(6, 60), b = fleet.Names(61, 100);
  for (int i = 1; i <= 5; ++i) b.push_back(SyntheticFleet::Name(i - 1));
  fleet.Cut(a, b);
  fleet.SetAllRates(0);
  RunTicks(analyzer, fleet, 8, t);
  v1::Incident inc = Only(t, v1::PARTITION_NO_QUORUM);
  ASSERT_EQ(inc.groups_size(), 2);
  EXPECT_EQ(inc.groups(0).weight(), 4000u);
  EXPECT_EQ(inc.groups(0).weight() + inc.groups(1).weight(), 7500u);
  EXPECT_FALSE(inc.groups(0).has_quorum());
  EXPECT_EQ(inc.nodes_size(), 100);
}

TEST(ScenarioVariantTest, HeavyValidatorsKeepQuorumOnTheSmallSide) {
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(7);
  fleet.SetWeights({400, 400, 100, 100, 100, 100, 100});  // total 1300, quorum 867
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 8, warmup);
  fleet.Cut(fleet.Names(1, 3), fleet.Names(4, 7));
  RunTicks(analyzer, fleet, 8, t);
  v1::Incident inc = Only(t, v1::PARTITION);
  EXPECT_THAT(NodesOf(inc), ElementsAreArray(fleet.Names(4, 7)));
  EXPECT_EQ(inc.groups(0).weight(), 900u);
}

TEST(ScenarioVariantTest, PartitionDiskFullAndClockSkewAtOnceAreThreeIncidents) {
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(9);
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 8, warmup);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 9));
  fleet.SetDiskUsed("v8", 0.95);
  fleet.SetClockOffset("v1", absl::Minutes(-3));
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(t.KindsEver(),
            (std::set<v1::IncidentKind>{v1::PARTITION, v1::DISK_FULL, v1::CLOCK_SKEW}));
  EXPECT_EQ(t.last.open_incidents[0].severity(), v1::P1);  // most severe first
}

TEST(ScenarioVariantTest, FiftyNodesOneIsolatedAndOneDownAreTwoIncidents) {
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(50);
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 8, warmup);
  fleet.Isolate("v17");
  fleet.Kill("v33");
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(t.KindsEver(), (std::set<v1::IncidentKind>{v1::NODE_ISOLATED, v1::NODE_DOWN}));
}

TEST(ScenarioVariantTest, SparseHundredNodeRingIsHealthy) {
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet(100);
  fleet.Sparse(20);
  Timeline t;
  RunTicks(analyzer, fleet, 20, t);
  EXPECT_TRUE(t.incidents.empty());
  EXPECT_EQ(t.last.topology.components_size(), 1);
  EXPECT_TRUE(t.last.topology.bridges().empty());
}

}  // namespace
}  // namespace guts::collector::testing
