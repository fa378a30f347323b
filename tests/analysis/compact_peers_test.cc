// The analysis resolves the same nodes from the compact peers made at ingest
// (collector/fleet/peer_address.h) as from the snapshots' PeerViews.
#include <gtest/gtest.h>

#include <algorithm>

#include "collector/analysis/fleet_model.h"
#include "collector/fleet/peer_address.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

// A view whose address shapes take every path: outbound by exact address, inbound by ip, an ip
// shared by two nodes (ambiguous for inbound), a node known only by its validator address, a
// non-canonical hello address, unknown peers, probes, and ids out of order.
FleetView MixedView() {
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  const char* ids[] = {"v3", "v1", "v2", "v5", "v4", "v6"};
  const char* hellos[] = {"10.0.0.3:9000", "10.0.0.1:9000", "10.0.0.2:9000", "10.0.0.9:9000", "",
                          "10.0.0.6:09000"};
  for (int i = 0; i < 6; ++i) {
    NodeObservation& n = view.nodes.emplace_back();
    n.node_id = ids[i];
    MutableHello(n).set_p2p_addr(hellos[i]);
    n.last_received = view.now;
    MutableLatest(n).set_seq(7);
  }
  // v5 shares 10.0.0.9 with a second port held by v2's validator entry below.
  v1::ValidatorSet* set = MutableLatest(view.nodes[1]).mutable_validators();
  set->set_epoch(2);
  for (auto [name, addr] : {std::pair{"v4", "10.0.0.4:9000"}, std::pair{"v2", "10.0.0.9:9001"}}) {
    v1::Validator* v = set->add_validators();
    v->set_name(name);
    v->set_addr(addr);
    v->set_weight(100);
  }
  auto add = [&](int node, const char* remote, bool inbound, uint32_t age) {
    v1::PeerView* p = MutableLatest(view.nodes[node]).add_peers();
    p->set_remote_addr(remote);
    p->set_direction(inbound ? v1::PEER_DIRECTION_INBOUND : v1::PEER_DIRECTION_OUTBOUND);
    p->set_last_data_recv_age_ms(age);
  };
  add(0, "10.0.0.1:9000", false, 100);   // v1 exact
  add(0, "10.0.0.2:40001", true, 100);   // v2 by ip
  add(0, "10.0.0.9:40002", true, 100);   // ambiguous ip: nobody
  add(0, "10.0.0.9:9001", false, 9000);  // v2's validator address, stale
  add(0, "10.0.0.4:9000", false, 100);   // v4 only through the validator list
  add(0, "10.9.9.9:1", false, 100);      // stranger
  add(1, "10.0.0.3:9000", false, 100);
  add(1, "10.0.0.3:40003", true, 4000);  // second session with v3, older
  add(1, "10.0.0.6:40006", true, 100);   // v6's hello is not canonical, its host is
  add(1, "10.0.0.2:7000", false, 200);   // v2's host, another port: v2 by ip
  add(1, "10.0.0.9:7000", false, 100);   // the shared ip, another port: nobody
  add(2, "10.0.0.9:9000", false, 100);   // v5 exact
  for (auto [node, addr, up] :
       {std::tuple{0, "10.0.0.1:9000", true}, std::tuple{0, "10.0.0.4:9000", true},
        std::tuple{0, "10.0.0.5:9000", true}, std::tuple{2, "10.0.0.9:9001", true},
        std::tuple{2, "10.0.0.3:9000", false}}) {
    v1::ProbeResult* p = MutableLatest(view.nodes[node]).add_probes();
    p->set_addr(addr);
    p->set_reachable(up);
  }
  return view;
}

void ExpectSameResolution(const FleetModel& a, const FleetModel& b) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    SCOPED_TRACE(*a.nodes[i].id);
    EXPECT_EQ(a.nodes[i].hears, b.nodes[i].hears);
    EXPECT_EQ(a.nodes[i].sessions, b.nodes[i].sessions);
    EXPECT_EQ(a.nodes[i].session_age_ms, b.nodes[i].session_age_ms);
    EXPECT_EQ(a.nodes[i].reachable, b.nodes[i].reachable);
    EXPECT_EQ(a.nodes[i].heard_by, b.nodes[i].heard_by);
    EXPECT_EQ(a.nodes[i].weight, b.nodes[i].weight);
    EXPECT_EQ(a.nodes[i].validator, b.nodes[i].validator);
    EXPECT_EQ(a.nodes[i].has_snapshot, b.nodes[i].has_snapshot);
    EXPECT_EQ(a.nodes[i].reporting, b.nodes[i].reporting);
    EXPECT_EQ(a.nodes[i].process_down, b.nodes[i].process_down);
    EXPECT_EQ(a.nodes[i].height, b.nodes[i].height);
  }
}

TEST(PeerAddressTest, CompactPeersResolveToTheSameNodesAsThePeerViews) {
  FleetView view = MixedView();
  FleetModel from_views = BuildFleetModel(view, AnalysisConfig{});
  // What the text path concludes, so the comparison below is not between two empty models.
  EXPECT_EQ(from_views.nodes[0].sessions, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(from_views.nodes[0].hears, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(from_views.nodes[0].reachable, (std::vector<int>{1, 4}));
  EXPECT_EQ(from_views.nodes[1].sessions, (std::vector<int>{0, 2, 5}));
  EXPECT_EQ(from_views.nodes[1].session_age_ms, (std::vector<uint32_t>{100, 200, 100}));
  EXPECT_EQ(from_views.nodes[2].reachable, std::vector<int>{2});
  EXPECT_EQ(from_views.Find("v4"), 4);
  EXPECT_EQ(from_views.Find("v7"), -1);

  for (NodeObservation& n : view.nodes) n.latest_peers = CompactPeersOf(n.latest);
  EXPECT_TRUE(view.nodes[0].latest_peers.valid);
  ExpectSameResolution(from_views, BuildFleetModel(view, AnalysisConfig{}));
}

TEST(PeerAddressTest, CompactPeersOfAnOlderSnapshotAreIgnored) {
  FleetView view = MixedView();
  FleetModel from_views = BuildFleetModel(view, AnalysisConfig{});
  v1::Snapshot older = *view.nodes[0].latest;
  older.set_seq(6);
  older.clear_peers();
  view.nodes[0].latest_peers = CompactPeersOf(older);
  ExpectSameResolution(from_views, BuildFleetModel(view, AnalysisConfig{}));
}

// Compact peers of a snapshot that was replaced by another of the same seq, left as they were,
// are not the new snapshot's: the model reads the new one's PeerViews (a check by seq alone
// took the stale sessions).
TEST(PeerAddressTest, CompactPeersOfAReplacedSnapshotOfTheSameSeqAreIgnored) {
  FleetView view = MixedView();
  for (NodeObservation& n : view.nodes) n.latest_peers = CompactPeersOf(n.latest);
  ASSERT_TRUE(PeersCurrent(view.nodes[0]));
  MutableLatest(view.nodes[0]).clear_peers();  // a new snapshot object, seq 7 as before
  ASSERT_EQ(view.nodes[0].latest_peers.seq, view.nodes[0].latest->seq());
  EXPECT_FALSE(PeersCurrent(view.nodes[0]));
  FleetModel model = BuildFleetModel(view, AnalysisConfig{});
  EXPECT_TRUE(model.nodes[0].sessions.empty());
  FleetView bare = view;
  for (NodeObservation& n : bare.nodes) n.latest_peers = CompactPeers{};
  ExpectSameResolution(BuildFleetModel(bare, AnalysisConfig{}), model);
}

// The analyzer keeps the address book and the last model's storage between ticks; a moved
// node, a changed validator address, a node joining or leaving must show at once, as if the
// model were built from scratch.
TEST(PeerAddressTest, RememberedAddressBookFollowsMovesValidatorChangesAndJoins) {
  FleetView view = MixedView();
  for (NodeObservation& n : view.nodes) n.latest_peers = CompactPeersOf(n.latest);
  ModelMemory memory;
  std::vector<uint32_t> numbers = {0, 1, 2, 3, 4, 5};
  auto check = [&](const char* step) {
    SCOPED_TRACE(step);
    FleetModel remembered = BuildFleetModel(view, AnalysisConfig{}, numbers, memory);
    ExpectSameResolution(BuildFleetModel(view, AnalysisConfig{}), remembered);
    memory.Recycle(std::move(remembered));  // as the analyzer does: the next build reuses it
  };
  check("first tick");
  check("nothing changed");
  MutableHello(view.nodes[2])
      .set_p2p_addr("10.0.0.4:9000");  // v2 moves onto v4's validator address
  check("moved");
  (*MutableLatest(view.nodes[1]).mutable_validators()->mutable_validators(0))
      .set_addr("10.0.0.2:9000");
  check("validator address changed");
  NodeObservation joined = view.nodes[5];
  joined.node_id = "v7";
  MutableHello(joined).set_p2p_addr("10.0.0.7:9000");
  view.nodes.push_back(joined);
  numbers.push_back(6);
  MutableLatest(view.nodes[0]).add_peers()->set_remote_addr("10.0.0.7:9000");
  view.nodes[0].latest_peers = CompactPeersOf(view.nodes[0].latest);
  check("joined");
  EXPECT_EQ(BuildFleetModel(view, AnalysisConfig{}, numbers, memory).nodes[0].sessions.back(), 6);
  view.nodes.erase(view.nodes.begin() + 1);  // v1 leaves
  numbers.erase(numbers.begin() + 1);
  check("left");
  check("left, recycled again");
}

// The analyzer keeps what each node's sessions and probes resolved to while their address keys
// and the address book stay; new ages on the same sessions, a session with another address, a
// flipped direction, a probe more or less, and sessions and probes reaching a validator
// without an agent give the model a from-scratch build gives.
TEST(PeerAddressTest, RememberedResolutionFollowsAgesAndChangedSessions) {
  FleetView view = MixedView();
  v1::Validator* unobserved = MutableLatest(view.nodes[1]).mutable_validators()->add_validators();
  unobserved->set_name("v8");
  unobserved->set_addr("10.0.0.8:9000");
  unobserved->set_weight(100);
  auto add = [&](int node, const char* remote, bool inbound, uint32_t age) {
    v1::PeerView* p = MutableLatest(view.nodes[node]).add_peers();
    p->set_remote_addr(remote);
    p->set_direction(inbound ? v1::PEER_DIRECTION_INBOUND : v1::PEER_DIRECTION_OUTBOUND);
    p->set_last_data_recv_age_ms(age);
  };
  add(0, "10.0.0.8:9000", false, 9000);  // two sessions with v8: the younger counts
  add(0, "10.0.0.8:40008", true, 100);
  add(2, "10.0.0.8:9000", false, 100);
  MutableLatest(view.nodes[2]).add_probes()->set_addr("10.0.0.8:9000");
  MutableLatest(view.nodes[2]).mutable_probes()->rbegin()->set_reachable(true);
  ModelMemory memory;
  const std::vector<uint32_t> numbers = {0, 1, 2, 3, 4, 5};
  auto check = [&](const char* step) -> FleetModel {
    SCOPED_TRACE(step);
    for (NodeObservation& n : view.nodes) {
      if (n.latest != nullptr) n.latest_peers = CompactPeersOf(n.latest);
    }
    FleetModel remembered = BuildFleetModel(view, AnalysisConfig{}, numbers, memory);
    FleetModel scratch = BuildFleetModel(view, AnalysisConfig{});
    ExpectSameResolution(scratch, remembered);
    EXPECT_EQ(scratch.unobserved.size(), 1u);
    EXPECT_EQ(remembered.unobserved.size(), 1u);
    if (scratch.unobserved.size() != 1 || remembered.unobserved.size() != 1) return scratch;
    EXPECT_EQ(scratch.unobserved[0].heard_by, remembered.unobserved[0].heard_by);
    EXPECT_EQ(scratch.unobserved[0].sessions_by, remembered.unobserved[0].sessions_by);
    EXPECT_EQ(scratch.unobserved[0].session_age_ms, remembered.unobserved[0].session_age_ms);
    EXPECT_EQ(scratch.unobserved[0].reached_by, remembered.unobserved[0].reached_by);
    memory.Recycle(std::move(remembered));
    return scratch;
  };
  FleetModel first = check("first tick");
  ASSERT_EQ(first.unobserved.size(), 1u);
  EXPECT_EQ(first.unobserved[0].sessions_by, (std::vector<int>{0, 2}));
  EXPECT_EQ(first.unobserved[0].session_age_ms, (std::vector<uint32_t>{100, 100}));
  EXPECT_EQ(first.unobserved[0].reached_by, std::vector<int>{2});
  check("nothing changed");
  // New ages on the same sessions: v3 stops hearing v1, the older session with v8 counts.
  MutableLatest(view.nodes[0]).mutable_peers(0)->set_last_data_recv_age_ms(60000);
  MutableLatest(view.nodes[0]).mutable_peers(7)->set_last_data_recv_age_ms(70000);
  FleetModel aged = check("ages changed");
  EXPECT_EQ(aged.nodes[0].hears, (std::vector<int>{2, 4}));
  EXPECT_EQ(aged.unobserved[0].session_age_ms, (std::vector<uint32_t>{9000, 100}));
  MutableLatest(view.nodes[0]).mutable_peers(1)->set_remote_addr("10.0.0.3:40001");  // now itself
  check("a session's address changed");
  MutableLatest(view.nodes[0]).mutable_peers(4)->set_direction(v1::PEER_DIRECTION_INBOUND);
  check("a direction flipped");
  MutableLatest(view.nodes[2]).mutable_probes()->RemoveLast();
  check("a probe less");
  MutableLatest(view.nodes[0]).add_probes()->set_addr("10.0.0.6:9000");
  MutableLatest(view.nodes[0]).mutable_probes()->rbegin()->set_reachable(true);
  check("a probe more");
  // As many probes as before, one to another address: the remembered resolution is known
  // stale by the probes' hash (CompactPeers::reachable_hash), not by their count.
  const std::vector<int> before_swap = check("probes unchanged").nodes[0].reachable;
  EXPECT_EQ(std::count(before_swap.begin(), before_swap.end(), 2), 0);
  MutableLatest(view.nodes[0]).mutable_probes()->rbegin()->set_addr("10.0.0.2:9000");
  FleetModel swapped = check("a probe to another address");
  EXPECT_EQ(swapped.nodes[0].reachable.size(), before_swap.size() + 1);
  EXPECT_EQ(std::count(swapped.nodes[0].reachable.begin(), swapped.nodes[0].reachable.end(), 2), 1);
  MutableLatest(view.nodes[0]).mutable_peers()->RemoveLast();
  check("a session closed");
  // A tick without v3's snapshot empties the facts at its index; back with the same probes, its
  // remembered resolution still matches, and the facts take its list again.
  std::shared_ptr<const v1::Snapshot> kept = view.nodes[0].latest;
  view.nodes[0].latest = nullptr;
  EXPECT_TRUE(check("no snapshot").nodes[0].reachable.empty());
  view.nodes[0].latest = kept;
  EXPECT_EQ(check("back, same probes").nodes[0].reachable, swapped.nodes[0].reachable);
  EXPECT_FALSE(swapped.nodes[0].reachable.empty());
}

// A model the analyzer did not hand back (a tick that failed, or a model kept elsewhere) leaves
// the next build fresh facts: they must take the remembered probes (`reachable`) again, though
// the remembered resolution still stands and was taken at the same index one build before.
TEST(PeerAddressTest, FactsNotRecycledTakeTheRememberedListsAgain) {
  FleetView view = MixedView();
  for (NodeObservation& n : view.nodes) n.latest_peers = CompactPeersOf(n.latest);
  ModelMemory memory;
  const std::vector<uint32_t> numbers = {0, 1, 2, 3, 4, 5};
  const FleetModel scratch = BuildFleetModel(view, AnalysisConfig{});
  ASSERT_FALSE(scratch.nodes[0].sessions.empty());
  ASSERT_FALSE(scratch.nodes[0].reachable.empty());
  memory.Recycle(BuildFleetModel(view, AnalysisConfig{}, numbers, memory));
  {
    SCOPED_TRACE("recycled");
    ExpectSameResolution(scratch, BuildFleetModel(view, AnalysisConfig{}, numbers, memory));
  }
  // The model of the build just before is dropped, not recycled.
  SCOPED_TRACE("after a model not recycled");
  FleetModel fresh = BuildFleetModel(view, AnalysisConfig{}, numbers, memory);
  ExpectSameResolution(scratch, fresh);
  memory.Recycle(std::move(fresh));
  ExpectSameResolution(scratch, BuildFleetModel(view, AnalysisConfig{}, numbers, memory));
}

}  // namespace
}  // namespace guts::collector
