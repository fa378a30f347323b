#include "collector/analysis/peer_graph.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "collector/analysis/analysis_history.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

PeerGraph GraphOf(testing::SyntheticFleet& fleet, FleetView& view, FleetModel& model) {
  fleet.Step();
  view = fleet.View();
  model = BuildFleetModel(view, AnalysisConfig{});
  return BuildPeerGraph(model);
}

TEST(PeerGraphTest, FullMeshIsOneComponentWithoutCuts) {
  testing::SyntheticFleet fleet(7);
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  ASSERT_EQ(g.components.size(), 1u);
  EXPECT_EQ(g.component_weight[0], 700u);
  EXPECT_TRUE(g.cut_vertices.empty());
  EXPECT_TRUE(g.one_way.empty());
}

TEST(PeerGraphTest, NodeJoiningTwoCliquesIsTheCutVertex) {
  testing::SyntheticFleet fleet(7);
  fleet.Cut({"v1", "v2", "v3"}, {"v5", "v6", "v7"});
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  ASSERT_EQ(g.components.size(), 1u);
  ASSERT_EQ(g.cut_vertices, std::vector<int>{3});  // v4
  auto groups = GroupsAround(g, 3);
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<std::vector<int>>{{0, 1, 2}, {4, 5, 6}}));
}

TEST(PeerGraphTest, ChainHasBridgeEdgesAndHeaviestComponentFirst) {
  testing::SyntheticFleet fleet(5);
  fleet.SetWeights({10, 10, 10, 100, 100});
  // v1 - v2 - v3 chain; v4 = v5 apart.
  fleet.Cut({"v1"}, {"v3", "v4", "v5"});
  fleet.Cut({"v2"}, {"v4", "v5"});
  fleet.Cut({"v3"}, {"v4", "v5"});
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  ASSERT_EQ(g.components.size(), 2u);
  EXPECT_EQ(g.components[0], (std::vector<int>{3, 4}));
  EXPECT_EQ(g.cut_vertices, std::vector<int>{1});
  EXPECT_EQ(g.bridge_edges, (std::vector<std::pair<int, int>>{{0, 1}, {1, 2}}));
}

TEST(PeerGraphTest, OneSidedHearingIsAOneWayLinkFromTheUnheardSide) {
  testing::SyntheticFleet fleet(4);
  fleet.SetHears("v4", "v2", false);  // v2's data does not reach v4
  FleetView view;
  FleetModel model;
  PeerGraph g = GraphOf(fleet, view, model);
  EXPECT_EQ(g.one_way, (std::vector<std::pair<int, int>>{{1, 3}}));
}

// Two nodes reporting at a compressed interval (0.1 s) whose sessions with each other last
// received `v1_age` and `v2_age` before their snapshots, both taken now.
PeerGraph CompressedPair(absl::Duration v1_age, absl::Duration v2_age, FleetModel& model) {
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  const absl::Duration ages[] = {v1_age, v2_age};
  for (int i = 0; i < 2; ++i) {
    NodeObservation& n = view.nodes.emplace_back();
    n.node_id = absl::StrCat("v", i + 1);
    MutableHello(n).set_p2p_addr(absl::StrCat("10.0.0.", i + 1, ":9000"));
    n.last_received = view.now;
    v1::Snapshot& latest = MutableLatest(n);
    latest.set_interval_ms(100);
    latest.set_seq(10);
    latest.mutable_health()->set_reachable(true);
    std::vector<SnapshotSample>& samples = MutableSamples(n);
    for (int k = 0; k < 10; ++k) {
      SnapshotSample& sample = samples.emplace_back();
      sample.received = view.now - absl::Milliseconds(100) * (9 - k);
      sample.taken = sample.received;
      sample.seq = static_cast<uint64_t>(k + 1);
    }
    auto* peer = latest.add_peers();
    peer->set_direction(v1::PEER_DIRECTION_OUTBOUND);
    peer->set_remote_addr(absl::StrCat("10.0.0.", 2 - i, ":9000"));
    peer->set_last_data_recv_age_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(ages[i])));
  }
  model = BuildFleetModel(view, ScaleWindows(AnalysisConfig{}, 0.1));
  return BuildPeerGraph(model);
}

// At scale 0.1 the window is 0.2 s and half of it 0.1 s, within a busy host's delay of one
// agent's reading: a two-way cut whose deaf end was read 0.3 s after its last receipt and whose
// other end just before its cut (S01's soak at scale 0.14) is not proven one-way. The margin
// holds host_noise (0.5 s) of the real clock; a direction lost 0.6 s before the other is proven.
TEST(PeerGraphTest, OneWayProofHoldsHostNoiseInACompressedRun) {
  FleetModel model;
  PeerGraph g = CompressedPair(absl::Milliseconds(50), absl::Milliseconds(350), model);
  EXPECT_EQ(model.one_way_margin, absl::Milliseconds(500));
  EXPECT_EQ(model.live_quiet_longest, absl::Milliseconds(100));
  EXPECT_TRUE(g.one_way.empty());
  EXPECT_EQ(g.pending_one_way, (std::vector<std::pair<int, int>>{{0, 1}}));
  g = CompressedPair(absl::Milliseconds(50), absl::Milliseconds(650), model);
  EXPECT_EQ(g.one_way, (std::vector<std::pair<int, int>>{{0, 1}}));
}

// At one snapshot a second the margin stays half the window (1 s): the floor never binds.
TEST(PeerGraphTest, OneWayMarginAtRealScaleIsHalfTheWindow) {
  FleetModel model = BuildFleetModel(FleetView{}, AnalysisConfig{});
  EXPECT_EQ(model.one_way_margin, absl::Seconds(1));
  EXPECT_EQ(model.live_quiet_longest, absl::Seconds(1));
}

// Every part of two graphs, which must be equal.
void ExpectSameGraph(const PeerGraph& kept, const PeerGraph& scratch) {
  EXPECT_EQ(kept.mutual, scratch.mutual);
  EXPECT_EQ(kept.component_of, scratch.component_of);
  EXPECT_EQ(kept.components, scratch.components);
  EXPECT_EQ(kept.component_weight, scratch.component_weight);
  EXPECT_EQ(kept.cut_vertices, scratch.cut_vertices);
  EXPECT_EQ(kept.bridge_edges, scratch.bridge_edges);
  EXPECT_EQ(kept.one_way, scratch.one_way);
  EXPECT_EQ(kept.pending_one_way, scratch.pending_one_way);
}

// Ticks as the analyzer does (stable numbers, the model built with the history's memory and
// recycled, the graph kept between ticks), and checks each tick that the kept graph equals a
// from-scratch build of the same model, and that the model marks exactly the nodes whose heard
// list changed since the tick before.
class KeptGraph {
 public:
  // The kept graph's one-way links as node names, after a tick (for the checks that a change
  // shows).
  std::vector<std::pair<std::string, std::string>> Tick(testing::SyntheticFleet& fleet) {
    fleet.Step();
    const FleetView view = fleet.View();
    const std::vector<uint32_t> numbers = NumberNodes(view, history_);
    FleetModel model = BuildFleetModel(view, AnalysisConfig{}, numbers, history_.model_memory);
    const PeerGraph& kept = memory_.Build(model);
    ExpectSameGraph(kept, BuildPeerGraph(model));
    if (model.hears_tracked) {
      ++tracked_;
      EXPECT_EQ(last_numbers_, numbers);
      for (size_t i = 0; i < model.nodes.size(); ++i) {
        EXPECT_EQ(model.hears_changed[i] != 0, model.nodes[i].hears != last_hears_[i])
            << *model.nodes[i].id;
      }
    } else {
      EXPECT_EQ(model.hears_changed, std::vector<char>(model.nodes.size(), 1));
    }
    if (memory_.last_incremental()) ++incremental_;
    last_numbers_ = numbers;
    last_hears_.clear();
    for (const NodeFacts& f : model.nodes) last_hears_.push_back(f.hears);
    std::vector<std::pair<std::string, std::string>> one_way;
    for (const auto& [from, to] : kept.one_way) {
      one_way.emplace_back(*model.nodes[from].id, *model.nodes[to].id);
    }
    cut_vertices_ = kept.cut_vertices.size();
    components_ = kept.components.size();
    history_.model_memory.Recycle(std::move(model));
    return one_way;
  }
  void Ticks(testing::SyntheticFleet& fleet, int ticks) {
    for (int t = 0; t < ticks; ++t) Tick(fleet);
  }
  bool last_incremental() const { return memory_.last_incremental(); }
  int incremental() const { return incremental_; }
  int tracked() const { return tracked_; }
  size_t cut_vertices() const { return cut_vertices_; }
  size_t components() const { return components_; }

 private:
  AnalysisHistory history_;
  PeerGraphMemory memory_;
  std::vector<uint32_t> last_numbers_;
  std::vector<std::vector<int>> last_hears_;
  int incremental_ = 0;
  int tracked_ = 0;
  size_t cut_vertices_ = 0;
  size_t components_ = 0;
};

using OneWay = std::vector<std::pair<std::string, std::string>>;

// A node's heard list changing between ticks changes the kept graph at once, through the
// incremental path: a one-way link appears and goes, a cut makes a bridge node and heals.
TEST(PeerGraphMemoryTest, AChangedHeardListChangesTheKeptGraph) {
  testing::SyntheticFleet fleet(8);
  KeptGraph graph;
  graph.Ticks(fleet, 5);
  EXPECT_TRUE(graph.last_incremental());
  EXPECT_EQ(graph.Tick(fleet), OneWay{});
  fleet.SetHears("v4", "v2", false);  // v2's data stops reaching v4
  EXPECT_EQ(graph.Tick(fleet), (OneWay{{"v2", "v4"}}));
  EXPECT_TRUE(graph.last_incremental());
  EXPECT_EQ(graph.Tick(fleet), (OneWay{{"v2", "v4"}}));
  fleet.SetHears("v4", "v2", true);
  EXPECT_EQ(graph.Tick(fleet), OneWay{});
  EXPECT_TRUE(graph.last_incremental());
  fleet.Cut({"v1", "v2", "v3"}, {"v5", "v6", "v7", "v8"});
  graph.Tick(fleet);
  EXPECT_TRUE(graph.last_incremental());
  EXPECT_EQ(graph.cut_vertices(), 1u);  // v4, the only node both sides hear
  fleet.Cut({"v4"}, {"v5", "v6", "v7", "v8"});
  graph.Tick(fleet);
  EXPECT_TRUE(graph.last_incremental());
  EXPECT_EQ(graph.components(), 2u);
  fleet.Heal();
  graph.Tick(fleet);
  EXPECT_TRUE(graph.last_incremental());
  EXPECT_EQ(graph.components(), 1u);
  EXPECT_EQ(graph.cut_vertices(), 0u);
}

// Nodes appearing, disappearing, restarting, going stale or losing their process, peers
// changing and weights moving: every tick's kept graph equals a from-scratch one, and the model
// marks exactly the changed heard lists (KeptGraph::Tick checks both).
TEST(PeerGraphMemoryTest, KeptGraphEqualsAFreshOneThroughJoinsLeavesRestartsAndStaleness) {
  testing::SyntheticFleet fleet(9);
  KeptGraph graph;
  graph.Ticks(fleet, 4);
  fleet.Kill("v5");
  graph.Ticks(fleet, 8);
  fleet.Restart("v5");
  graph.Ticks(fleet, 6);
  fleet.QuickRestart("v3", testing::SyntheticFleet::RestartSeen::kNewPid);
  graph.Ticks(fleet, 5);
  fleet.ProcessDown("v6");
  graph.Ticks(fleet, 4);
  fleet.Restart("v6");
  graph.Ticks(fleet, 4);
  fleet.AgentCutFromCollector("v7", true);  // stale: its last snapshot ages into silence
  graph.Ticks(fleet, 8);
  fleet.AgentCutFromCollector("v7", false);
  graph.Ticks(fleet, 4);
  fleet.SetWeights({10, 10, 10, 10, 100, 100, 100, 100, 100});
  graph.Ticks(fleet, 3);
  fleet.DropSessions("v1", "v9");
  graph.Ticks(fleet, 3);
  fleet.Isolate("v8");
  graph.Ticks(fleet, 3);
  fleet.Heal();
  graph.Ticks(fleet, 3);
  fleet.Sparse(3);  // most heard lists change at once
  graph.Ticks(fleet, 3);
  fleet.RemoveAgent("v2");  // leaves the view: every later node moves up an index
  graph.Ticks(fleet, 4);
  EXPECT_GT(graph.tracked(), 30);
  EXPECT_GT(graph.incremental(), 25);
}

// The one test the kept graph and the link history share: only the tracked successor of the
// build they kept state for, with as many nodes, is followed.
TEST(FleetModelTest, FollowsOnlyTheTrackedSuccessorOfTheKeptBuild) {
  FleetModel model;
  model.nodes.resize(3);
  model.build = 5;
  model.hears_tracked = true;
  EXPECT_TRUE(model.Follows(4, 3));
  EXPECT_FALSE(model.Follows(0, 3));  // nothing kept
  EXPECT_FALSE(model.Follows(3, 3));  // a build was missed
  EXPECT_FALSE(model.Follows(5, 3));  // the same build again
  EXPECT_FALSE(model.Follows(4, 2));  // a node joined
  model.hears_tracked = false;
  EXPECT_FALSE(model.Follows(4, 3));
}

}  // namespace
}  // namespace guts::collector
