// The model and the analyzer read the same facts and give the same verdicts from the figures
// made at ingest (collector/fleet/snapshot_figures.h) as from the snapshots themselves.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "collector/analysis/analyzer.h"
#include "collector/analysis/fleet_model.h"
#include "collector/fleet/peer_address.h"
#include "collector/fleet/snapshot_figures.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

// A fleet whose snapshots differ in every figure the model and the runbook read: a node whose
// socket source failed, one whose API is gone, one that reports its block only in the log, one
// without an interval, one that never reported, a newer validator epoch on one node, and the
// runbook's disk, memory, API, fallback and corruption thresholds crossed.
FleetView OddFleet(int tick) {
  testing::SyntheticFleet fleet(8);
  fleet.SetMadeAtIngest(false);
  for (int i = 0; i <= tick; ++i) fleet.Step();
  FleetView view = fleet.View();
  auto snapshot = [&](const std::string& id) -> v1::Snapshot& {
    for (NodeObservation& n : view.nodes) {
      if (n.node_id == id) return MutableLatest(n);
    }
    ADD_FAILURE() << "no node " << id;
    return MutableLatest(view.nodes[0]);
  };
  snapshot("v1").add_source_errors()->set_source("p2p_sockets");
  snapshot("v2").mutable_health()->set_reachable(false);
  snapshot("v2").clear_peers();
  snapshot("v3").mutable_consensus()->clear_last_block_id();
  snapshot("v3").mutable_log()->set_finalized_block_id("log-block");
  snapshot("v3").mutable_log()->set_finalized_height(50);
  snapshot("v4").set_interval_ms(0);
  snapshot("v4").mutable_system()->set_cgroup_memory_max_bytes(1000);
  snapshot("v4").mutable_system()->set_node_rss_bytes(950);
  snapshot("v5").mutable_metrics()->set_http_5xx_ratio(0.05);
  snapshot("v5").mutable_system()->set_disk_available_bytes(50000);
  snapshot("v6").mutable_metrics()->set_http_p99_seconds(2.5);
  snapshot("v6").mutable_log()->set_config_fallback(true);
  snapshot("v6").mutable_log()->set_corruption_lines(static_cast<uint64_t>(tick));
  snapshot("v7").mutable_validators()->set_epoch(2);
  snapshot("v7").mutable_validators()->mutable_validators(0)->set_weight(400);
  NodeObservation never;
  never.node_id = "v9";
  MutableHello(never).set_p2p_addr("10.0.0.99:9000");
  view.nodes.push_back(never);
  for (NodeObservation& n : view.nodes) {
    if (n.latest != nullptr) n.latest_peers = CompactPeersOf(n.latest);
  }
  return view;
}

FleetView WithFigures(FleetView view) {
  for (NodeObservation& n : view.nodes) {
    if (n.latest != nullptr) n.latest_figures = SnapshotFiguresOf(n.latest);
  }
  return view;
}

void ExpectSameFacts(const FleetModel& a, const FleetModel& b) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  EXPECT_EQ(a.total_weight, b.total_weight);
  EXPECT_EQ(a.quorum_weight, b.quorum_weight);
  EXPECT_EQ(a.quorum_height, b.quorum_height);
  EXPECT_EQ(a.max_height, b.max_height);
  EXPECT_EQ(a.max_view, b.max_view);
  EXPECT_EQ(a.reporting, b.reporting);
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    SCOPED_TRACE(*a.nodes[i].id);
    const NodeFacts& x = a.nodes[i];
    const NodeFacts& y = b.nodes[i];
    EXPECT_EQ(x.has_snapshot, y.has_snapshot);
    EXPECT_EQ(x.Phi(), y.Phi());
    EXPECT_EQ(x.silent, y.silent);
    EXPECT_EQ(x.interval, y.interval);
    EXPECT_EQ(x.process_down, y.process_down);
    EXPECT_EQ(x.has_peer_data, y.has_peer_data);
    EXPECT_EQ(x.validator, y.validator);
    EXPECT_EQ(x.weight, y.weight);
    EXPECT_EQ(x.height, y.height);
    EXPECT_EQ(x.view, y.view);
    EXPECT_EQ(x.block_id, y.block_id);
    EXPECT_EQ(x.block_height, y.block_height);
    EXPECT_EQ(x.hears, y.hears);
    EXPECT_EQ(x.heard_by, y.heard_by);
    ASSERT_EQ(x.figures == nullptr, y.figures == nullptr);
    if (x.figures == nullptr) continue;
    EXPECT_EQ(x.figures->uptime_seconds, y.figures->uptime_seconds);
    EXPECT_EQ(x.figures->node_restarts, y.figures->node_restarts);
    EXPECT_EQ(x.figures->api_reachable, y.figures->api_reachable);
    EXPECT_EQ(x.figures->config_fallback, y.figures->config_fallback);
    EXPECT_EQ(x.figures->corruption_lines, y.figures->corruption_lines);
  }
}

TEST(SnapshotFiguresTest, ModelFromFiguresEqualsModelFromTheSnapshots) {
  FleetView bare = OddFleet(3);
  FleetModel from_snapshots = BuildFleetModel(bare, AnalysisConfig{});
  // What the snapshot path concludes, so the comparison is not between two healthy fleets.
  EXPECT_FALSE(from_snapshots.nodes[0].has_peer_data);
  EXPECT_TRUE(from_snapshots.nodes[1].process_down);
  EXPECT_EQ(from_snapshots.nodes[2].block_id, "log-block");
  EXPECT_EQ(from_snapshots.nodes[3].interval, AnalysisConfig{}.default_interval);
  EXPECT_EQ(from_snapshots.nodes[0].weight, 400u);  // from v7's newer validator list
  EXPECT_FALSE(from_snapshots.nodes[8].has_snapshot);
  EXPECT_EQ(from_snapshots.made_figures.size(), 8u);

  FleetView with = WithFigures(bare);
  FleetModel from_figures = BuildFleetModel(with, AnalysisConfig{});
  EXPECT_TRUE(from_figures.made_figures.empty());
  EXPECT_EQ(from_figures.nodes[0].figures, &with.nodes[0].latest_figures);
  ExpectSameFacts(from_snapshots, from_figures);
}

TEST(SnapshotFiguresTest, FiguresOfAnOlderSnapshotAreIgnored) {
  FleetView bare = OddFleet(3);
  FleetView view = bare;
  // Figures made from the fleet a tick earlier, when the figures differ (height, corruption).
  FleetView earlier = WithFigures(OddFleet(2));
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    view.nodes[i].latest_figures = earlier.nodes[i].latest_figures;
  }
  ASSERT_TRUE(view.nodes[5].latest_figures.valid);
  ASSERT_NE(view.nodes[5].latest_figures.seq, view.nodes[5].latest->seq());
  FleetModel model = BuildFleetModel(view, AnalysisConfig{});
  EXPECT_EQ(model.made_figures.size(), 8u);
  ExpectSameFacts(BuildFleetModel(bare, AnalysisConfig{}), model);
}

// A hand-built view whose snapshot is replaced by another of the same seq, its figures left as
// they were: the figures are of the old snapshot object, so the model makes its own from the
// new one (a check by seq alone took the stale ones).
TEST(SnapshotFiguresTest, FiguresOfAReplacedSnapshotOfTheSameSeqAreIgnored) {
  FleetView view = WithFigures(OddFleet(3));
  NodeObservation& node = view.nodes[5];
  const uint64_t stale_height = node.latest_figures.finalized_height;
  v1::Snapshot& edited = MutableLatest(node);  // a new snapshot object, the same seq
  edited.mutable_consensus()->set_finalized_height(stale_height + 1000);
  ASSERT_EQ(node.latest_figures.seq, node.latest->seq());
  EXPECT_FALSE(FiguresCurrent(node));
  FleetModel model = BuildFleetModel(view, AnalysisConfig{});
  EXPECT_EQ(model.made_figures.size(), 1u);
  EXPECT_EQ(model.nodes[5].height, stale_height + 1000);
  // Replaced by assignment, not MutableLatest, likewise.
  node.latest_figures = SnapshotFiguresOf(node.latest);
  ASSERT_TRUE(FiguresCurrent(node));
  auto other = std::make_shared<v1::Snapshot>(*node.latest);
  other->mutable_consensus()->set_finalized_height(stale_height + 2000);
  node.latest = other;
  EXPECT_EQ(BuildFleetModel(view, AnalysisConfig{}).nodes[5].height, stale_height + 2000);
}

// The figures hold the snapshot they were made from, so it cannot be freed and its address
// taken by a later snapshot that would then pass for it.
TEST(SnapshotFiguresTest, FiguresKeepTheirSnapshotAlive) {
  NodeObservation node;
  MutableLatest(node).set_seq(4);
  node.latest_figures = SnapshotFiguresOf(node.latest);
  EXPECT_TRUE(FiguresCurrent(node));
  std::weak_ptr<const v1::Snapshot> old = node.latest;
  MutableLatest(node).set_seq(5);  // the old snapshot's last holder besides the figures
  EXPECT_FALSE(old.expired());
  EXPECT_FALSE(FiguresCurrent(node));
  EXPECT_FALSE(FiguresCurrent(NodeObservation{}));
  // Figures of a bare message name no snapshot: never current.
  node.latest_figures = SnapshotFiguresOf(*node.latest);
  EXPECT_FALSE(FiguresCurrent(node));
}

TEST(SnapshotFiguresTest, AnalyzerGivesTheSameVerdictsFromFiguresAsFromSnapshots) {
  Analyzer from_snapshots(testing::TestConfig());
  Analyzer from_figures(testing::TestConfig());
  std::set<v1::IncidentKind> kinds;
  for (int tick = 1; tick <= 6; ++tick) {
    SCOPED_TRACE(tick);
    FleetView bare = OddFleet(tick);
    AnalysisResult a = from_snapshots.Tick(bare);
    AnalysisResult b = from_figures.Tick(WithFigures(bare));
    ASSERT_EQ(a.open_incidents.size(), b.open_incidents.size());
    for (size_t k = 0; k < a.open_incidents.size(); ++k) {
      EXPECT_EQ(testing::Deterministic(a.open_incidents[k]),
                testing::Deterministic(b.open_incidents[k]));
      kinds.insert(a.open_incidents[k].kind());
    }
    EXPECT_EQ(testing::Deterministic(a.topology), testing::Deterministic(b.topology));
    ASSERT_EQ(a.nodes.size(), b.nodes.size());
    for (const auto& [id, assessment] : a.nodes) {
      EXPECT_EQ(assessment.state, b.nodes.at(id).state) << id;
      EXPECT_EQ(assessment.reason, b.nodes.at(id).reason) << id;
    }
  }
  // The thresholds the figures feed were crossed, so the comparison above means something.
  for (v1::IncidentKind kind :
       {v1::HIGH_MEMORY, v1::API_ERRORS, v1::DISK_FULL, v1::CONFIG_FALLBACK, v1::DATA_CORRUPTION}) {
    EXPECT_TRUE(kinds.count(kind)) << v1::IncidentKind_Name(kind);
  }
}

}  // namespace
}  // namespace guts::collector
