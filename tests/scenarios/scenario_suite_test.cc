// The scenario suite at real scale: the SCENARIOS.md rows a CI run can afford at 1 s
// snapshots and the collector's default windows (about a minute each, two at a time), each run
// by scenario_runner.h against guts-sim, real agents and a real collector.
// S11, S12 and S13 lower --stall-threshold to 15 s (SCENARIOS.md allows it), so that a stuck
// chain shows within a CI budget and S13's "no CONSENSUS_STUCK" is a real check.
// Each test owns the loopback range 127.<140+k>.0.0 (k = its scenario number).
#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "tests/scenarios/scenario_runner.h"

namespace guts::testing {
namespace {

// Issue #16's detection targets at one snapshot a second: a cut (partition, isolation, bridge)
// or a one-way link within 5 s, a node down within 3 s (docs/architecture.md, "What bounds
// detection time"; SCENARIOS.md's budgets are looser).
constexpr absl::Duration kCutBudget = absl::Seconds(5);
constexpr absl::Duration kNodeDownBudget = absl::Seconds(3);

TEST(Scenario, S01HealthyFleetOpensNothing) {
  Scenario sc{.id = "S01", .observe = absl::Seconds(40)};
  RunScenario(sc, 141);
}

TEST(Scenario, S02FiveTwoSplitIsPartitionNamingTheMinority) {
  Scenario sc{.id = "S02",
              .faults = {{"partition", "v1,v2,v3,v4,v5|v6,v7"}},
              .heals = {{"heal"}},
              .kind = v1::PARTITION,
              .severity = v1::P2,
              .names = V(6, 7),
              .groups = {V(1, 5), V(6, 7)},
              .detect_budget = kCutBudget};
  RunScenario(sc, 142);
}

TEST(Scenario, S03FourThreeSplitOfSevenHaltsBothSides) {
  Scenario sc{.id = "S03",
              .faults = {{"partition", "v1,v2,v3,v4|v5,v6,v7"}},
              .heals = {{"heal"}},
              .kind = v1::PARTITION_NO_QUORUM,
              .severity = v1::P1,
              .groups = {V(1, 4), V(5, 7)},
              .detect_budget = kCutBudget};
  RunScenario(sc, 143);
}

TEST(Scenario, S06DroppedDirectionIsOneWayLink) {
  Scenario sc{.id = "S06",
              .faults = {{"drop", "v3", "v5"}},
              .heals = {{"undrop", "v3", "v5"}},
              .kind = v1::ONE_WAY_LINK,
              .severity = v1::P3,
              .names = {"v3", "v5"},
              .detect_budget = kCutBudget,
              .links = {{"v3", "v5"}}};
  RunScenario(sc, 146);
}

TEST(Scenario, S08NodeCutFromAllPeersIsIsolated) {
  Scenario sc{.id = "S08",
              .faults = {{"isolate", "v6"}},
              .heals = {{"heal"}},
              .kind = v1::NODE_ISOLATED,
              .severity = v1::P2,
              .names = {"v6"},
              .detect_budget = kCutBudget};
  RunScenario(sc, 148);
}

TEST(Scenario, S09KilledNodeIsDownConfirmedByPeers) {
  Scenario sc{.id = "S09",
              .faults = {{"kill", "v4"}},
              .heals = {{"restart", "v4"}},
              .stop_agent = "v4",
              .kind = v1::NODE_DOWN,
              .severity = v1::P2,
              .names = {"v4"},
              .detect_budget = kNodeDownBudget};
  RunScenario(sc, 149);
}

TEST(Scenario, S23ConfigFallbackIsP2) {
  Scenario sc{.id = "S23",
              .faults = {{"config-fallback", "v7"}},
              .heals = {{"config-fallback", "v7", "off"}},
              .kind = v1::CONFIG_FALLBACK,
              .severity = v1::P2,
              .names = {"v7"}};
  RunScenario(sc, 163);
}

TEST(Scenario, S04ThreeWaySplitOfNineHasNoQuorum) {
  Scenario sc{.id = "S04",
              .nodes = 9,
              .faults = {{"partition", "v1,v2,v3|v4,v5,v6|v7,v8,v9"}},
              .heals = {{"heal"}},
              .kind = v1::PARTITION_NO_QUORUM,
              .severity = v1::P1,
              .groups = {V(1, 3), V(4, 6), V(7, 9)},
              .detect_budget = kCutBudget};
  RunScenario(sc, 144);
}

TEST(Scenario, S05BridgeBetweenTwoGroupsIsPartialPartition) {
  Scenario sc{.id = "S05",
              .faults = {{"partition", "v1,v2,v3|v5,v6,v7"}},
              .heals = {{"heal"}},
              .kind = v1::PARTIAL_PARTITION,
              // P2 while blocks still pass through the bridge (the sim relays through v4);
              // P1 once the height stalls for progress_stall, which the unit tests cover.
              .severity = v1::P2,
              .names = {"v4"},
              .groups = {V(1, 3), V(5, 7)},
              .detect_budget = kCutBudget};
  RunScenario(sc, 145);
}

TEST(Scenario, S07NodeReceivingNothingIsOneWayIsolatedInbound) {
  Scenario sc{.id = "S07",
              .faults = {{"isolate", "v2", "inbound"}},
              .heals = {{"heal"}},
              .kind = v1::NODE_ONE_WAY_ISOLATION,
              .severity = v1::P2,
              .names = {"v2"},
              .detect_budget = kCutBudget};
  RunScenario(sc, 147);
}

TEST(Scenario, S14HalfSpeedNodeIsLagging) {
  Scenario sc{.id = "S14",
              .faults = {{"slow", "v5", "0.5"}},
              .heals = {{"slow", "v5", "1"}},
              .kind = v1::NODE_LAGGING,
              .severity = v1::P2,
              .names = {"v5"},
              .detect_budget = absl::Seconds(30)};
  RunScenario(sc, 154);
}

TEST(Scenario, S18TwoBlockIdsAtOneHeightIsFork) {
  Scenario sc{.id = "S18",
              .faults = {{"fork", "v1,v2,v3,v4|v5,v6,v7"}},
              .heals = {{"heal"}},
              .kind = v1::FORK,
              .severity = v1::P1,
              .groups = {V(1, 4), V(5, 7)},
              .height_at_injection = true};
  RunScenario(sc, 158);
}

TEST(Scenario, S19FourNodesOneDownIsNodeDownAndQuorumAtRisk) {
  Scenario sc{.id = "S19",
              .nodes = 4,
              .faults = {{"kill", "v4"}},
              .heals = {{"restart", "v4"}},
              .stop_agent = "v4",
              .kind = v1::NODE_DOWN,
              .severity = v1::P2,
              .names = {"v4"},
              .detect_budget = kNodeDownBudget,
              .required = {v1::QUORUM_AT_RISK}};
  RunScenario(sc, 159);
}

TEST(Scenario, S13KilledLeaderIsNodeDownAndBlocksResume) {
  Scenario sc{.id = "S13",
              .kind = v1::NODE_DOWN,
              .severity = v1::P2,
              .detect_budget = kNodeDownBudget,
              // Low, so that a chain that did not resume would show as CONSENSUS_STUCK here.
              .stall_threshold = absl::Seconds(15),
              .kill_leader = true};
  RunScenario(sc, 153);
}

TEST(Scenario, S11LeadersNotProposingIsConsensusStuckWithViewsClimbing) {
  Scenario sc{.id = "S11",
              .faults = {{"stall"}},
              .heals = {{"unhalt"}},
              .kind = v1::CONSENSUS_STUCK,
              .severity = v1::P1,
              .names = V(1, 7),
              .detect_budget = absl::Seconds(15 + 5),
              .stall_threshold = absl::Seconds(15),
              .summary_contains = "cause: views climbing"};
  RunScenario(sc, 151);
}

TEST(Scenario, S12ApplicationHaltIsConsensusStuckWithViewSteady) {
  Scenario sc{.id = "S12",
              .faults = {{"halt"}},
              .heals = {{"unhalt"}},
              .kind = v1::CONSENSUS_STUCK,
              .severity = v1::P1,
              .detect_budget = absl::Seconds(15 + 5),
              .stall_threshold = absl::Seconds(15),
              .summary_contains = "cause: application halt"};
  RunScenario(sc, 152);
}

TEST(Scenario, S15RestartedNodeCatchingUpIsOnlyBrieflyDown) {
  // v5 stays down 30 s past the NODE_DOWN, then restarts about 40 blocks behind: nothing but
  // the NODE_DOWN may open, it clears, and nothing opens in the 30 s after (no NODE_LAGGING or
  // NODE_NOT_SYNCING). guts-sim replays the missed blocks within a second of the restart, so
  // this checks the return; a slow catch-up with a shrinking lag is covered by
  // RestartedNodeCatchingUpIsNotLagging in tests/analysis/scenarios_test.cc.
  Scenario sc{.id = "S15",
              .faults = {{"kill", "v5"}},
              .heals = {{"restart", "v5"}},
              .stop_agent = "v5",
              .kind = v1::NODE_DOWN,
              .severity = v1::P2,
              .names = {"v5"},
              .detect_budget = kNodeDownBudget,
              .hold = absl::Seconds(30),
              .watch_after_clear = absl::Seconds(30)};
  RunScenario(sc, 155);
}

TEST(Scenario, S16MostNodesLosingHalfTheirPeersIsOneFleetPeerLoss) {
  // peer-drop 0.6 0.5 on 7 nodes: v1..v4 lose the links among themselves (3 of their 6
  // peers); v5..v7 keep every link and hold the graph together.
  Scenario sc{.id = "S16",
              .faults = {{"peer-drop", "0.6", "0.5"}},
              .heals = {{"heal"}},
              .kind = v1::FLEET_PEER_LOSS,
              .severity = v1::P2,
              .names = V(1, 4),
              .detect_budget = absl::Seconds(15)};
  RunScenario(sc, 156);
}

}  // namespace
}  // namespace guts::testing
