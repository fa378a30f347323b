#include "collector/analysis/analyzer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/fleet_model.h"
#include "collector/analysis/network_sides.h"
#include "collector/analysis/peer_graph.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector {
namespace {

TEST(AnalyzerTest, ScaledRunKeepsTheClockSkewThresholdButScalesTheWindows) {
  AnalysisConfig real;
  AnalysisConfig fast = ScaleWindows(real, 0.1);
  EXPECT_EQ(fast.clock_skew_threshold, real.clock_skew_threshold);
  EXPECT_EQ(fast.flap_window, real.flap_window * 0.1);
  EXPECT_EQ(fast.stall_threshold, real.stall_threshold * 0.1);
}

TEST(AnalyzerTest, EachNodeOfASplitSaysWhichSideItIsOnAndWhatItHears) {
  testing::SyntheticFleet fleet(7);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  RunTicks(analyzer, fleet, 15, t);
  ASSERT_EQ(t.Ever(::guts::diag::v1::PARTITION_NO_QUORUM).size(), 1u);
  EXPECT_EQ(t.last.nodes.at("v1").reason,
            "side 1 of 2 (4 nodes, weight 400, no quorum); hears 3 of 6 peers");
  EXPECT_EQ(t.last.nodes.at("v7").reason,
            "side 2 of 2 (3 nodes, weight 300, no quorum); hears 2 of 6 peers");
}

// The nodes are found in name order (v10 before v2), walking the sides' names alongside: each
// node's reason names its own side.
TEST(AnalyzerTest, EachNodeOfASplitOfTwelveSaysItsOwnSide) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 12));
  RunTicks(analyzer, fleet, 15, t);
  ASSERT_EQ(t.Ever(::guts::diag::v1::PARTITION_NO_QUORUM).size(), 1u);
  auto reason = [&](const char* node) { return t.last.nodes.at(node).reason; };
  EXPECT_TRUE(reason("v1").starts_with("side ")) << reason("v1");
  EXPECT_TRUE(reason("v1").ends_with(" of 2 (6 nodes, weight 600, no quorum); hears 5 of 11 peers"))
      << reason("v1");
  EXPECT_NE(reason("v1"), reason("v7"));
  for (const char* node : {"v2", "v3", "v6"}) EXPECT_EQ(reason(node), reason("v1")) << node;
  for (const char* node : {"v8", "v10", "v11", "v12"})
    EXPECT_EQ(reason(node), reason("v7")) << node;
}

// The topology of a split lists the sides the split verdict lists (the analyzer moves that
// verdict's groups into it rather than making them twice): each tick's components are the sides
// of that tick's own view, in order, with their members, weights and heights.
TEST(AnalyzerTest, ASplitsTopologyListsThatTicksSidesAsComponents) {
  testing::SyntheticFleet fleet(12);
  const AnalysisConfig config = testing::TestConfig();
  Analyzer analyzer(config);
  testing::Timeline warmup;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 7), fleet.Names(8, 12));
  bool split_open = false;
  for (int tick = 0; tick < 8; ++tick) {
    fleet.Step();
    const FleetView view = fleet.View();
    const AnalysisResult result = analyzer.Tick(view);
    for (const auto& inc : result.open_incidents) {
      split_open = split_open || inc.kind() == ::guts::diag::v1::PARTITION_NO_QUORUM;
    }
    const FleetModel model = BuildFleetModel(view, config);
    const PeerGraph graph = BuildPeerGraph(model);
    std::vector<std::string> sides;
    for (const NetworkSide& side : NetworkSides(model, graph)) {
      sides.push_back(testing::Deterministic(SideGroup(model, side)));
    }
    ASSERT_EQ(sides.size(), 2u) << "tick " << tick;
    std::vector<std::string> components;
    for (const auto& c : result.topology.components()) {
      components.push_back(testing::Deterministic(c));
    }
    EXPECT_EQ(components, sides) << "tick " << tick;
  }
  EXPECT_TRUE(split_open);  // the split verdict was there to take the groups from
}

TEST(AnalyzerTest, NodeNeverReportedIsUnknown) {
  Analyzer analyzer{AnalysisConfig{}};
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  NodeObservation node;
  node.node_id = "v1";
  view.nodes.push_back(node);
  AnalysisResult result = analyzer.Tick(view);
  EXPECT_EQ(result.nodes.at("v1").state, guts::diag::v1::UNKNOWN);
  // So that fleet status can tell this from a judged UNKNOWN once the first snapshot is in.
  EXPECT_TRUE(result.nodes.at("v1").before_first_snapshot);
}

// The collector hands the analysis peers and figures made at ingest; views built by hand carry
// only the snapshots. A run through splits, one-way links, a kill, a heal, quick restarts and
// the runbook's thresholds must see the same.
TEST(AnalyzerTest, FactsMadeAtIngestAndTheSnapshotsGiveTheSameIncidentsAndTopology) {
  auto run = [](bool made_at_ingest) {
    testing::SyntheticFleet fleet(9);
    fleet.SetMadeAtIngest(made_at_ingest);
    Analyzer analyzer(testing::TestConfig());
    testing::Timeline t;
    std::vector<std::string> seen;
    auto record = [&](int ticks) {
      for (int i = 0; i < ticks; ++i) {
        testing::RunTicks(analyzer, fleet, 1, t);
        seen.push_back(testing::Deterministic(t.last.topology));
        for (const auto& inc : t.last.open_incidents) seen.push_back(testing::Deterministic(inc));
      }
    };
    record(10);
    fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 9));
    record(10);
    fleet.Heal();
    fleet.SetHears("v2", "v7", false);
    fleet.Kill("v4");
    record(12);
    fleet.Restart("v4");
    fleet.SetDiskUsed("v1", 0.95);
    fleet.SetConfigFallback("v2");
    fleet.SetCorruptionLines("v3", 4);
    fleet.QuickRestart("v5", testing::SyntheticFleet::RestartSeen::kUptime);
    fleet.QuickRestart("v6", testing::SyntheticFleet::RestartSeen::kNewPid);
    record(12);
    return std::make_pair(seen, t.incidents.size());
  };
  auto [compact, compact_incidents] = run(true);
  auto [views, views_incidents] = run(false);
  // The split, the one-way link, the kill, the full disk, the fallback, the corruption.
  EXPECT_GE(compact_incidents, 6u);
  EXPECT_EQ(compact_incidents, views_incidents);
  ASSERT_EQ(compact.size(), views.size());
  for (size_t i = 0; i < compact.size(); ++i) ASSERT_TRUE(compact[i] == views[i]) << "item " << i;
}

// Every field of two results, the protobufs by their bytes.
void ExpectSameResult(const AnalysisResult& want, const AnalysisResult& got,
                      const std::string& at) {
  SCOPED_TRACE(at);
  EXPECT_EQ(want.at, got.at);
  ASSERT_EQ(want.nodes.size(), got.nodes.size());
  for (auto w = want.nodes.begin(), g = got.nodes.begin(); w != want.nodes.end(); ++w, ++g) {
    SCOPED_TRACE(w->first);
    EXPECT_EQ(w->first, g->first);
    EXPECT_EQ(w->second.state, g->second.state);
    EXPECT_EQ(w->second.reason, g->second.reason);
    EXPECT_EQ(w->second.lag, g->second.lag);
    EXPECT_EQ(w->second.weight, g->second.weight);
    EXPECT_EQ(w->second.peers_heard, g->second.peers_heard);
    EXPECT_EQ(w->second.peers_expected, g->second.peers_expected);
    EXPECT_EQ(w->second.before_first_snapshot, g->second.before_first_snapshot);
  }
  ASSERT_EQ(want.unobserved.size(), got.unobserved.size());
  for (size_t i = 0; i < want.unobserved.size(); ++i) {
    const UnobservedAssessment& w = want.unobserved[i];
    const UnobservedAssessment& g = got.unobserved[i];
    SCOPED_TRACE(w.name);
    EXPECT_EQ(w.name, g.name);
    EXPECT_EQ(w.public_key, g.public_key);
    EXPECT_EQ(w.addr, g.addr);
    EXPECT_EQ(w.organisation, g.organisation);
    EXPECT_EQ(w.weight, g.weight);
    EXPECT_EQ(w.heard_by, g.heard_by);
    EXPECT_EQ(w.observers, g.observers);
    EXPECT_EQ(w.Reason(), g.Reason());
    EXPECT_EQ(w.hearers, g.hearers);
    EXPECT_EQ(w.probers, g.probers);
    EXPECT_EQ(w.verdict_kinds, g.verdict_kinds);
  }
  EXPECT_EQ(want.mode, got.mode);
  EXPECT_EQ(want.validator_source, got.validator_source);
  EXPECT_EQ(want.validator_count, got.validator_count);
  EXPECT_EQ(want.total_weight, got.total_weight);
  EXPECT_EQ(want.quorum_weight, got.quorum_weight);
  EXPECT_EQ(testing::Deterministic(want.topology), testing::Deterministic(got.topology));
  EXPECT_EQ(want.max_height, got.max_height);
  EXPECT_EQ(want.quorum_height, got.quorum_height);
  EXPECT_EQ(testing::Deterministic(want.quorum_margin), testing::Deterministic(got.quorum_margin));
  ASSERT_EQ(want.open_incidents.size(), got.open_incidents.size());
  for (size_t i = 0; i < want.open_incidents.size(); ++i) {
    EXPECT_EQ(testing::Deterministic(want.open_incidents[i]),
              testing::Deterministic(got.open_incidents[i]));
  }
  ASSERT_EQ(want.changed_incidents.size(), got.changed_incidents.size());
  for (size_t i = 0; i < want.changed_incidents.size(); ++i) {
    EXPECT_EQ(testing::Deterministic(want.changed_incidents[i]),
              testing::Deterministic(got.changed_incidents[i]));
  }
  EXPECT_EQ(want.warming_up, got.warming_up);
  EXPECT_EQ(want.warm_up_why, got.warm_up_why);
  EXPECT_EQ(want.partial_blindness, got.partial_blindness);
}

// A tick made in a recycled result's storage (the collector hands back the result it
// published two ticks ago) equals one made from scratch, field by field: nothing of the old
// result - a split's sides, reasons and cut links, unobserved validators, the warm-up, partial
// blindness - reaches a tick where it no longer holds.
TEST(AnalyzerTest, ATickInARecycledResultEqualsOneFromScratch) {
  testing::SyntheticFleet fleet(12);
  Analyzer scratch(testing::TestConfig());
  Analyzer recycling(testing::TestConfig());
  AnalysisResult recycled;
  const absl::Time started = fleet.now();
  int tick = 0;
  bool saw_split = false, saw_unobserved = false, saw_warm_up = false, saw_blind = false;
  auto run = [&](int ticks) {
    for (int i = 0; i < ticks; ++i) {
      fleet.Step();
      FleetView view = fleet.View();
      view.collector.started = started;  // warming up at first
      const AnalysisResult want = scratch.Tick(view);
      recycled = recycling.Tick(view, std::move(recycled));
      ExpectSameResult(want, recycled, absl::StrCat("tick ", ++tick));
      saw_split = saw_split || recycled.topology.components_size() > 1;
      saw_unobserved = saw_unobserved || !recycled.unobserved.empty();
      saw_warm_up = saw_warm_up || recycled.warming_up;
      saw_blind = saw_blind || !recycled.partial_blindness.empty();
    }
  };
  run(6);
  fleet.RemoveAgent("v12");
  run(6);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 12));
  run(10);
  fleet.Heal();  // from a split tick into healthy ones
  run(10);
  fleet.Kill("v3");
  fleet.SetHears("v2", "v7", false);
  fleet.SetDiskUsed("v1", 0.95);
  run(8);
  for (int i = 1; i <= 8; ++i) fleet.AgentCutFromCollector(testing::SyntheticFleet::Name(i), true);
  run(8);
  for (int i = 1; i <= 8; ++i) fleet.AgentCutFromCollector(testing::SyntheticFleet::Name(i), false);
  fleet.Restart("v3");
  fleet.Heal();
  run(10);
  EXPECT_TRUE(saw_split);
  EXPECT_TRUE(saw_unobserved);
  EXPECT_TRUE(saw_warm_up);
  EXPECT_TRUE(saw_blind);
}

// A split with a quorum side names only the minority (PARTITION): its nodes' reasons name their
// own side among all of them (the verdict's node_groups count the quorum side first), and the
// quorum side's nodes are not made part of the split.
TEST(AnalyzerTest, TheMinorityOfASplitWithQuorumSaysItsOwnSide) {
  testing::SyntheticFleet fleet(7);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 7));
  RunTicks(analyzer, fleet, 15, t);
  ASSERT_EQ(t.Ever(::guts::diag::v1::PARTITION).size(), 1u);
  EXPECT_EQ(t.last.nodes.at("v6").reason,
            "side 2 of 2 (2 nodes, weight 200, no quorum); hears 1 of 6 peers");
  EXPECT_EQ(t.last.nodes.at("v7").reason, t.last.nodes.at("v6").reason);
  EXPECT_EQ(t.last.nodes.at("v6").state, ::guts::diag::v1::DEGRADED);
  EXPECT_EQ(t.last.nodes.at("v1").state, ::guts::diag::v1::HEALTHY);
}

// A split whose sides change between ticks (one node moves across, the split heals and comes
// back as another): each tick's reasons name each node's side of that tick.
TEST(AnalyzerTest, ReasonsFollowASplitWhoseSidesChange) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 12));
  RunTicks(analyzer, fleet, 10, t);
  auto reason = [&](const char* node) { return t.last.nodes.at(node).reason; };
  EXPECT_EQ(reason("v6"), reason("v1"));
  EXPECT_NE(reason("v7"), reason("v1"));
  fleet.Heal();  // and cut again at once: v6 crosses to the other side
  fleet.Cut(fleet.Names(1, 5), fleet.Names(6, 12));
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_TRUE(reason("v6").starts_with("side 1 of 2 (7 nodes, weight 700,")) << reason("v6");
  EXPECT_TRUE(reason("v1").starts_with("side 2 of 2 (5 nodes, weight 500,")) << reason("v1");
  EXPECT_EQ(reason("v10"), reason("v6"));
  fleet.Heal();
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(t.last.nodes.at("v1").state, ::guts::diag::v1::HEALTHY);
  fleet.Cut(fleet.Names(1, 8), fleet.Names(9, 12));
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(reason("v9"), "side 2 of 2 (4 nodes, weight 400, no quorum); hears 3 of 11 peers");
  EXPECT_EQ(reason("v12"), reason("v9"));
  EXPECT_TRUE(reason("v8").starts_with("side 1 of 2 (8 nodes, weight 800,") ||
              t.last.nodes.at("v8").state == ::guts::diag::v1::HEALTHY)
      << reason("v8");
}

// A view whose nodes are not in id order: the model keeps the view's order, so a node's model
// index is not its place among the assessments (kept in name order). A split's nodes, which
// the verdict names by model index too, are assessed as in the same view sorted.
TEST(AnalyzerTest, ASplitOfAViewOutOfIdOrderAssessesEachNodeAsSorted) {
  testing::SyntheticFleet fleet(12);
  Analyzer sorted(testing::TestConfig());
  Analyzer reversed(testing::TestConfig());
  AnalysisResult a, b;
  auto tick = [&](int ticks) {
    for (int i = 0; i < ticks; ++i) {
      fleet.Step();
      FleetView view = fleet.View();
      a = sorted.Tick(view);
      std::reverse(view.nodes.begin(), view.nodes.end());
      b = reversed.Tick(view);
    }
  };
  tick(20);
  fleet.Cut(fleet.Names(1, 3), fleet.Names(4, 12));
  tick(10);
  ASSERT_EQ(a.nodes.size(), 12u);
  ASSERT_EQ(b.nodes.size(), 12u);
  EXPECT_TRUE(a.nodes.at("v1").reason.starts_with("side 2 of 2 (3 nodes"))
      << a.nodes.at("v1").reason;
  for (const auto& [name, assessment] : a.nodes) {
    EXPECT_EQ(b.nodes.at(name).state, assessment.state) << name;
    EXPECT_EQ(b.nodes.at(name).reason, assessment.reason) << name;
  }
}

// The split's incident lists each tick's sides: its verdict's members key (Verdict::Members) is
// the last tick's only while the sides and the nodes at their indices (the model's index epoch)
// are the same, so the incident tracker and the cause memory skip comparing the names only then.
std::set<std::set<std::string>> GroupsOfTheSplit(const AnalysisResult& result) {
  std::set<std::set<std::string>> groups;
  for (const auto& inc : result.open_incidents) {
    if (inc.kind() != ::guts::diag::v1::PARTITION &&
        inc.kind() != ::guts::diag::v1::PARTITION_NO_QUORUM) {
      continue;
    }
    for (const auto& g : inc.groups()) groups.emplace(g.nodes().begin(), g.nodes().end());
  }
  return groups;
}

std::set<std::string> NamesOf(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

// The sides of `fleet` cut v1-v6 | v7-v12, as a view renaming v9 to v9x names them.
std::set<std::set<std::string>> SidesWithV9Renamed(const testing::SyntheticFleet& fleet) {
  std::vector<std::string> right = fleet.Names(7, 12);
  std::replace(right.begin(), right.end(), std::string("v9"), std::string("v9x"));
  return {NamesOf(fleet.Names(1, 6)), NamesOf(right)};
}

// 20 healthy ticks of `fleet`, then 10 with it cut v1-v6 | v7-v12: a split that stands.
void RunIntoASplitOfSixAndSix(Analyzer& analyzer, testing::SyntheticFleet& fleet,
                              testing::Timeline& t) {
  RunTicks(analyzer, fleet, 20, t);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 12));
  RunTicks(analyzer, fleet, 10, t);
}

// One node each way across a standing split: the sides keep their sizes and weights.
TEST(AnalyzerTest, ASplitWhoseSidesSwapANodeListsTheNewSidesInItsIncident) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline t;
  RunIntoASplitOfSixAndSix(analyzer, fleet, t);
  ASSERT_EQ(
      GroupsOfTheSplit(t.last),
      (std::set<std::set<std::string>>{NamesOf(fleet.Names(1, 6)), NamesOf(fleet.Names(7, 12))}));
  std::vector<std::string> left = fleet.Names(1, 5), right = fleet.Names(8, 12);
  left.push_back("v7");
  right.push_back("v6");
  fleet.Heal();
  fleet.Cut(left, right);
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(GroupsOfTheSplit(t.last),
            (std::set<std::set<std::string>>{NamesOf(left), NamesOf(right)}));
}

// The fleet's view with `from` named `to` (its order kept): a node replaced at its index.
FleetView Renamed(FleetView view, const std::string& from, const std::string& to) {
  for (auto& node : view.nodes) {
    if (node.node_id == from) node.node_id = to;
  }
  return view;
}

// `ticks` steps of `fleet`, each analyzed as a view that names v9 "v9x"; the last tick's result.
AnalysisResult TicksWithV9Renamed(Analyzer& analyzer, testing::SyntheticFleet& fleet, int ticks) {
  AnalysisResult result;
  for (int tick = 0; tick < ticks; ++tick) {
    fleet.Step();
    result = analyzer.Tick(Renamed(fleet.View(), "v9", "v9x"));
  }
  return result;
}

TEST(AnalyzerTest, ANodeRenamedInAStandingSplitIsRenamedInItsIncident) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline t;
  RunIntoASplitOfSixAndSix(analyzer, fleet, t);
  AnalysisResult result = TicksWithV9Renamed(analyzer, fleet, 5);
  EXPECT_EQ(GroupsOfTheSplit(result), SidesWithV9Renamed(fleet));
}

// The split heals while a node is renamed, and comes back with the same sides: the names of the
// tick before the heal are not this split's.
TEST(AnalyzerTest, ASplitBackAfterANodeWasRenamedListsTheNewName) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline t;
  RunIntoASplitOfSixAndSix(analyzer, fleet, t);
  fleet.Heal();
  TicksWithV9Renamed(analyzer, fleet, 3);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 12));
  AnalysisResult result = TicksWithV9Renamed(analyzer, fleet, 8);
  EXPECT_EQ(GroupsOfTheSplit(result), SidesWithV9Renamed(fleet));
}

// A standing split whose side gains one node from the other (from one tick to the next, no
// healthy tick between): the incident lists the new sides, and each node's reason its new side.
TEST(AnalyzerTest, ASplitWhoseSideGainsANodeListsTheNewSides) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline t;
  RunIntoASplitOfSixAndSix(analyzer, fleet, t);
  ASSERT_EQ(
      GroupsOfTheSplit(t.last),
      (std::set<std::set<std::string>>{NamesOf(fleet.Names(1, 6)), NamesOf(fleet.Names(7, 12))}));
  fleet.Heal();
  fleet.Cut(fleet.Names(1, 7), fleet.Names(8, 12));
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(
      GroupsOfTheSplit(t.last),
      (std::set<std::set<std::string>>{NamesOf(fleet.Names(1, 7)), NamesOf(fleet.Names(8, 12))}));
  EXPECT_EQ(t.last.nodes.at("v7").reason, t.last.nodes.at("v1").reason);
  EXPECT_NE(t.last.nodes.at("v8").reason, t.last.nodes.at("v7").reason);
}

// Two different splits in a row, then the first again: each tick's incident lists that tick's
// sides (a key kept from an earlier split never stands for a later one's names).
TEST(AnalyzerTest, TwoDifferentSplitsInARowListTheirOwnSides) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline t;
  RunTicks(analyzer, fleet, 20, t);
  const std::vector<std::vector<std::vector<std::string>>> splits = {
      {fleet.Names(1, 6), fleet.Names(7, 12)},
      {fleet.Names(1, 3), fleet.Names(4, 12)},
      {fleet.Names(1, 6), fleet.Names(7, 12)},
  };
  for (const auto& split : splits) {
    fleet.Heal();
    fleet.Cut(split[0], split[1]);
    RunTicks(analyzer, fleet, 10, t);
    EXPECT_EQ(GroupsOfTheSplit(t.last),
              (std::set<std::set<std::string>>{NamesOf(split[0]), NamesOf(split[1])}));
  }
}

// A node of a standing split loses its agent (it becomes a validator without one, placed by who
// hears it): the incident's sides still list it, among the unobserved, on its side.
TEST(AnalyzerTest, ANodeOfAStandingSplitLosingItsAgentStaysOnItsSide) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline t;
  RunIntoASplitOfSixAndSix(analyzer, fleet, t);
  fleet.RemoveAgent("v9");
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(
      GroupsOfTheSplit(t.last),
      (std::set<std::set<std::string>>{NamesOf(fleet.Names(1, 6)), NamesOf(fleet.Names(7, 12))}));
}

// The topology's components and the split's incident, as each tick's sides name them: `sides`
// heaviest first, each side's names; `named_from`: the first side the split names in its nodes
// (1 with a quorum side, 0 without; -1: no split). What the analyzer keeps of the names between
// ticks (AnalysisHistory::named_sides) must give exactly these.
void ExpectSidesListed(const AnalysisResult& result, std::vector<std::vector<std::string>> sides,
                       int named_from, const std::string& step) {
  SCOPED_TRACE(step);
  // The topology lists names in id order (v10 before v2), the incident in natural order.
  for (std::vector<std::string>& side : sides) std::sort(side.begin(), side.end());
  ASSERT_EQ(result.topology.components_size(), static_cast<int>(sides.size()));
  for (size_t c = 0; c < sides.size(); ++c) {
    const auto& names = result.topology.components(static_cast<int>(c)).nodes();
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.end()), sides[c]) << "side " << c;
  }
  const ::guts::diag::v1::Incident* split = nullptr;
  for (const auto& inc : result.open_incidents) {
    if (inc.kind() == ::guts::diag::v1::PARTITION ||
        inc.kind() == ::guts::diag::v1::PARTITION_NO_QUORUM) {
      split = &inc;
    }
  }
  if (named_from < 0) {
    EXPECT_EQ(split, nullptr);
    return;
  }
  ASSERT_NE(split, nullptr);
  ASSERT_EQ(split->groups_size(), static_cast<int>(sides.size()));
  auto natural = [](std::vector<std::string> names) {  // v1, ..., v9 (or v9x), v10, ...
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return std::stoi(a.substr(1)) < std::stoi(b.substr(1));
    });
    return names;
  };
  std::vector<std::string> named;
  for (size_t c = 0; c < sides.size(); ++c) {
    const auto& names = split->groups(static_cast<int>(c)).nodes();
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.end()), natural(sides[c]))
        << "group " << c;
    if (static_cast<int>(c) >= named_from) {
      named.insert(named.end(), sides[c].begin(), sides[c].end());
    }
  }
  EXPECT_EQ(std::vector<std::string>(split->nodes().begin(), split->nodes().end()), natural(named));
  std::sort(named.begin(), named.end());
  if (named_from == 1) {
    EXPECT_THAT(split->summary(), ::testing::HasSubstr("cut off: " + absl::StrJoin(named, ",")));
  }
  // Each named node's reason names its own side: equal within a side, different across sides.
  const NodeAssessment* first_named = result.nodes.Find(sides[named_from][0]);
  ASSERT_NE(first_named, nullptr);
  for (size_t c = static_cast<size_t>(named_from); c < sides.size(); ++c) {
    const NodeAssessment* first = result.nodes.Find(sides[c][0]);
    ASSERT_NE(first, nullptr);
    for (const std::string& name : sides[c]) {
      const NodeAssessment* a = result.nodes.Find(name);
      if (a == nullptr) continue;  // a validator without an agent
      EXPECT_EQ(a->reason, first->reason) << name;
      if (static_cast<int>(c) > named_from) {
        EXPECT_NE(a->reason, first_named->reason) << name;
      }
    }
  }
}

// A standing split's names are kept from tick to tick (NamedSides) and made again whenever the
// sides change: a side gaining or losing a node, a quorum side appearing, the quorum side moving
// from first to second (sizes and weights in order the same), a node renamed (a new index epoch),
// the split ending and coming back, a node losing its agent (an unobserved validator joining its
// side). Each phase's last tick lists exactly that phase's sides, and a standing split's heights
// are this tick's.
TEST(AnalyzerTest, ASplitsKeptNamesAreEachTicksSides) {
  testing::SyntheticFleet fleet(12);
  Analyzer analyzer(testing::TestConfig());
  testing::Timeline t;
  RunIntoASplitOfSixAndSix(analyzer, fleet, t);
  ExpectSidesListed(t.last, {fleet.Names(1, 6), fleet.Names(7, 12)}, 0, "six and six");
  const uint64_t before = t.last.topology.components(0).height();
  fleet.SetHeight("v2", before + 500);
  RunTicks(analyzer, fleet, 2, t);
  ExpectSidesListed(t.last, {fleet.Names(1, 6), fleet.Names(7, 12)}, 0, "standing");
  EXPECT_GE(t.last.topology.components(0).height(), before + 500);
  EXPECT_LT(t.last.topology.components(1).height(), before + 500);
  auto recut = [&](const std::vector<std::string>& a, const std::vector<std::string>& b) {
    fleet.Heal();
    fleet.Cut(a, b);
    RunTicks(analyzer, fleet, 10, t);
  };
  recut(fleet.Names(1, 7), fleet.Names(8, 12));
  ExpectSidesListed(t.last, {fleet.Names(1, 7), fleet.Names(8, 12)}, 0, "a side gains v7");
  recut(fleet.Names(1, 6), fleet.Names(7, 12));
  ExpectSidesListed(t.last, {fleet.Names(1, 6), fleet.Names(7, 12)}, 0, "and loses it");
  recut(fleet.Names(1, 9), fleet.Names(10, 12));
  ExpectSidesListed(t.last, {fleet.Names(1, 9), fleet.Names(10, 12)}, 1, "a quorum side");
  // The quorum side moves from first to second and back: the sides' sizes and weights, in order,
  // are the same each time, their members not.
  recut(fleet.Names(1, 3), fleet.Names(4, 12));
  ExpectSidesListed(t.last, {fleet.Names(4, 12), fleet.Names(1, 3)}, 1, "the sides swap");
  recut(fleet.Names(1, 9), fleet.Names(10, 12));
  ExpectSidesListed(t.last, {fleet.Names(1, 9), fleet.Names(10, 12)}, 1, "and swap back");
  std::vector<std::string> renamed = fleet.Names(1, 9);
  std::replace(renamed.begin(), renamed.end(), std::string("v9"), std::string("v9x"));
  ExpectSidesListed(TicksWithV9Renamed(analyzer, fleet, 10), {renamed, fleet.Names(10, 12)}, 1,
                    "v9 renamed");
  RunTicks(analyzer, fleet, 10, t);
  ExpectSidesListed(t.last, {fleet.Names(1, 9), fleet.Names(10, 12)}, 1, "v9 back");
  fleet.Heal();
  RunTicks(analyzer, fleet, 10, t);
  ExpectSidesListed(t.last, {fleet.Names(1, 12)}, -1, "healed");
  // One component standing, no split verdict: the topology copies the kept group, at this height.
  const uint64_t healed = t.last.topology.components(0).height();
  fleet.SetHeight("v5", healed + 500);
  RunTicks(analyzer, fleet, 2, t);
  ExpectSidesListed(t.last, {fleet.Names(1, 12)}, -1, "healed, standing");
  EXPECT_GE(t.last.topology.components(0).height(), healed + 500);
  recut(fleet.Names(1, 9), fleet.Names(10, 12));
  ExpectSidesListed(t.last, {fleet.Names(1, 9), fleet.Names(10, 12)}, 1, "the split back");
  fleet.RemoveAgent("v11");
  RunTicks(analyzer, fleet, 10, t);
  ExpectSidesListed(t.last, {fleet.Names(1, 9), fleet.Names(10, 12)}, 1, "v11 without an agent");
  // Two validators without an agent, of one weight, change sides: the observed members and the
  // sides' weights stay, only the agentless names differ.
  fleet.RemoveAgent("v3");
  RunTicks(analyzer, fleet, 10, t);
  ExpectSidesListed(t.last, {fleet.Names(1, 9), fleet.Names(10, 12)}, 1, "v3 without an agent");
  std::vector<std::string> left = fleet.Names(1, 9), right = fleet.Names(10, 12);
  std::swap(left[2], right[1]);  // v3 | v11
  recut(left, right);
  ExpectSidesListed(t.last, {left, right}, 1, "v3 and v11 change sides");
}

// A recycled result's node names are kept for the next tick while the views' identity
// generation stands (NodeAssessments::ResetKeepingNamesOf), and made again when it changes: a
// node renamed (the same number of nodes, another name at one index), renamed back, an agent
// gone, a split. Each tick equals one from scratch. The generations here follow the
// FleetView contract: the same nodes with the same Hellos, in the same order, the same one.
TEST(AnalyzerTest, ARecycledResultKeepsItsNodeNamesOnlyWhileTheViewsGenerationStands) {
  testing::SyntheticFleet fleet(12);
  Analyzer scratch(testing::TestConfig());
  Analyzer recycling(testing::TestConfig());
  AnalysisResult recycled;
  std::map<std::string, uint64_t> generations;
  auto with_generation = [&](FleetView view) {
    std::string identity;
    for (const NodeObservation& node : view.nodes) {
      absl::StrAppend(&identity, node.node_id, "/", HelloOf(node).SerializeAsString(), ";");
    }
    auto [it, added] = generations.try_emplace(identity, 0);
    if (added) it->second = NewIdentityGeneration();
    view.identity_generation = it->second;
    return view;
  };
  int tick = 0;
  auto run = [&](int ticks, bool rename) {
    for (int i = 0; i < ticks; ++i) {
      fleet.Step();
      FleetView view = fleet.View();
      if (rename) view = Renamed(std::move(view), "v9", "v9x");
      view = with_generation(std::move(view));
      const AnalysisResult want = scratch.Tick(view);
      recycled = recycling.Tick(view, std::move(recycled));
      ExpectSameResult(want, recycled, absl::StrCat("tick ", ++tick));
    }
  };
  run(4, false);
  run(3, true);
  run(3, false);
  fleet.RemoveAgent("v12");
  run(3, false);
  fleet.Cut(fleet.Names(1, 6), fleet.Names(7, 12));
  run(8, false);
  run(3, true);
  ASSERT_NE(recycled.nodes.Find("v9x"), nullptr);
  EXPECT_EQ(recycled.nodes.Find("v9"), nullptr);
}

}  // namespace
}  // namespace guts::collector
