#include "collector/query/fleet_status.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

// The analysis' default (AnalysisConfig::peer_heard_within).
constexpr absl::Duration kHeard = absl::Seconds(5);

// Four validators of weight 100 (quorum 267) at `heights`; node i last reported at `received`.
FleetView FourValidators(const std::vector<uint64_t>& heights,
                         const std::vector<absl::Time>& received, absl::Time now) {
  FleetView view;
  view.now = now;
  for (int i = 0; i < 4; ++i) {
    NodeObservation node;
    node.node_id = absl::StrCat("v", i + 1);
    node.connected = true;
    node.last_received = received[i];
    v1::Snapshot& latest = MutableLatest(node);
    latest.set_node_id(node.node_id);
    latest.set_interval_ms(1000);
    latest.mutable_consensus()->set_finalized_height(heights[i]);
    v1::ValidatorSet* validators = latest.mutable_validators();
    for (int j = 0; j < 4; ++j) {
      v1::Validator* v = validators->add_validators();
      v->set_name(absl::StrCat("v", j + 1));
      v->set_weight(100);
    }
    validators->set_total_weight(400);
    validators->set_quorum_weight(267);
    view.nodes.push_back(std::move(node));
  }
  return view;
}

TEST(FleetStatusTest, HeadlineAndLagsAgreeWithTheRowsThoughTheAnalysisIsATickOlder) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  // v4 went silent a minute ago at height 3; the others report heights 10, 10 and 9.
  FleetView view = FourValidators({10, 10, 9, 3}, {now, now, now, now - absl::Minutes(1)}, now);
  AnalysisResult analysis;  // one tick earlier: everyone one block lower
  analysis.max_height = 9;
  analysis.quorum_height = 8;
  for (const char* id : {"v1", "v2", "v3"}) analysis.nodes.Add(id) = {.state = v1::HEALTHY};
  analysis.nodes.Add("v4") = {.state = v1::DOWN, .reason = "silent", .lag = 5};

  v1::FleetStatus status = BuildFleetStatus(view, &analysis, v1::CollectorInfo(), kHeard);
  EXPECT_EQ(status.max_height(), 10u);
  // Reporting weight at or above 9 is 300 >= 267; the silent v4 does not count.
  EXPECT_EQ(status.quorum_height(), 9u);
  EXPECT_EQ(status.total_weight(), 400u);
  EXPECT_EQ(status.quorum_weight(), 267u);
  ASSERT_EQ(status.nodes_size(), 4);
  EXPECT_EQ(status.nodes(0).lag(), 0u);
  EXPECT_EQ(status.nodes(2).lag(), 0u);
  EXPECT_EQ(status.nodes(3).state(), v1::DOWN);
  EXPECT_EQ(status.nodes(3).lag(), 6u);
}

TEST(FleetStatusTest, NodeWhoseApiIsDownKeepsTheWeightTheFleetKnows) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  FleetView view = FourValidators({10, 10, 10, 10}, {now, now, now, now}, now);
  MutableLatest(view.nodes[1]).clear_validators();  // v2's agent cannot reach its node's API
  AnalysisResult analysis;
  for (const char* id : {"v1", "v3", "v4"}) analysis.nodes.Add(id) = {.state = v1::HEALTHY};
  analysis.nodes.Add("v2") = {.state = v1::DOWN, .weight = 100};
  v1::NodeStatus row = MakeNodeStatus(view.nodes[1], analysis.nodes.Find("v2"), now, kHeard);
  EXPECT_EQ(row.weight(), 100u);
}

TEST(FleetStatusTest, OneNodesRowCarriesTheLagTheAnalysisFound) {  // gutsctl node show
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  FleetView view = FourValidators({10, 10, 10, 4}, {now, now, now, now}, now);
  NodeAssessment lagging{.state = v1::DEGRADED, .lag = 6};
  EXPECT_EQ(MakeNodeStatus(view.nodes[3], &lagging, now, kHeard).lag(), 6u);
}

// A node whose first snapshot came in after the last tick: that tick's "no snapshot yet" is
// not shown beside the snapshot's seq and height; the row is judged as without an analysis.
TEST(FleetStatusTest, AnAssessmentFromBeforeTheFirstSnapshotGivesWayToTheSnapshot) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  FleetView view = FourValidators({10, 10, 10, 10}, {now, now, now, now}, now);
  NodeAssessment before{
      .state = v1::UNKNOWN, .reason = "no snapshot yet", .before_first_snapshot = true};
  v1::NodeStatus row = MakeNodeStatus(view.nodes[2], &before, now, kHeard);
  EXPECT_EQ(row.state(), v1::HEALTHY);
  EXPECT_EQ(row.state_reason(), "");
  EXPECT_EQ(row.height(), 10u);
  // Still without a snapshot, the assessment stands.
  NodeObservation waiting;
  waiting.node_id = "v5";
  row = MakeNodeStatus(waiting, &before, now, kHeard);
  EXPECT_EQ(row.state(), v1::UNKNOWN);
  EXPECT_EQ(row.state_reason(), "no snapshot yet");
  // Any other UNKNOWN (silence not judged while the collector is blind) stands too.
  NodeAssessment blind{.state = v1::UNKNOWN, .reason = "no snapshot for 9 s; collector blind"};
  EXPECT_EQ(MakeNodeStatus(view.nodes[2], &blind, now, kHeard).state(), v1::UNKNOWN);
}

TEST(FleetStatusTest, WithoutAnAnalysisTheLastSeenRuleDecidesWhoCounts) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  FleetView view = FourValidators({10, 10, 9, 3}, {now, now, now, now - absl::Minutes(1)}, now);
  v1::FleetStatus status = BuildFleetStatus(view, nullptr, v1::CollectorInfo(), kHeard);
  EXPECT_EQ(status.nodes(3).state(), v1::DOWN);
  EXPECT_EQ(status.quorum_height(), 9u);
  EXPECT_EQ(status.nodes(3).lag(), 6u);
}

TEST(FleetStatusTest, WithoutAnAnalysisPeersHeardFollowTheConfiguredWindow) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  FleetView view = FourValidators({10, 10, 10, 10}, {now, now, now, now}, now);
  v1::Snapshot& v1_latest = MutableLatest(view.nodes[0]);
  for (auto [addr, age] : {std::pair{"10.0.0.2:9000", 1000}, std::pair{"10.0.0.2:40001", 100},
                           std::pair{"[fd00::3]:9000", 4000}, std::pair{"10.0.0.4:9000", 8000}}) {
    v1::PeerView* peer = v1_latest.add_peers();
    peer->set_remote_addr(addr);
    peer->set_last_data_recv_age_ms(age);
  }
  EXPECT_EQ(MakeNodeStatus(view.nodes[0], nullptr, now, kHeard).peers_heard(), 2u);
  // A compressed run scales the window down, and the queries follow it.
  EXPECT_EQ(MakeNodeStatus(view.nodes[0], nullptr, now, absl::Milliseconds(500)).peers_heard(), 1u);
  EXPECT_EQ(MakeNodeStatus(view.nodes[0], nullptr, now, absl::Seconds(10)).peers_heard(), 3u);
}

}  // namespace
}  // namespace guts::collector
