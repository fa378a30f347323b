#include "collector/analysis/fleet_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/analysis/analysis_history.h"
#include "collector/analysis/peer_graph.h"
#include "collector/fleet/peer_address.h"
#include "collector/fleet/snapshot_figures.h"
#include "tests/analysis/synthetic_fleet.h"
#include "tests/analysis/tick_as_from_scratch.h"

namespace guts::collector {
namespace {

using ::guts::collector::testing::ExpectTickAsFromScratch;

namespace v1 = ::guts::diag::v1;

TEST(FleetModelTest, InboundSessionsMatchByIpOutboundByIpAndPort) {
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 3; ++i) {
    NodeObservation& n = view.nodes.emplace_back();
    n.node_id = absl::StrCat("v", i + 1);
    MutableHello(n).set_p2p_addr(absl::StrCat("10.0.0.", i + 1, ":9000"));
    n.last_received = view.now;
    n.latest = std::make_shared<const v1::Snapshot>();  // every node has a snapshot
  }
  // v1: an inbound session from v2 (ephemeral port), an outbound one to v3, one unknown peer.
  v1::Snapshot& v1_latest = MutableLatest(view.nodes[0]);
  auto* in = v1_latest.add_peers();
  in->set_direction(v1::PEER_DIRECTION_INBOUND);
  in->set_remote_addr("10.0.0.2:51234");
  auto* out = v1_latest.add_peers();
  out->set_direction(v1::PEER_DIRECTION_OUTBOUND);
  out->set_remote_addr("10.0.0.3:9000");
  auto* stranger = v1_latest.add_peers();
  stranger->set_direction(v1::PEER_DIRECTION_INBOUND);
  stranger->set_remote_addr("10.9.9.9:40000");
  FleetModel model = BuildFleetModel(view, AnalysisConfig{});
  EXPECT_EQ(model.nodes[0].hears, (std::vector<int>{1, 2}));
  EXPECT_EQ(model.nodes[1].heard_by, 1);
  // No validator list: every node weighs 1, quorum ceil(2/3 * 3) = 2.
  EXPECT_EQ(model.total_weight, 3u);
  EXPECT_EQ(model.quorum_weight, 2u);
}

// A node's process is down on its peer source's evidence: the source worked and found no peer
// heard while the API did not answer (refused, or hung past the deadline). Sources cut off at
// their deadline on a busy host leave the health out and name the peer source in an error: that
// says nothing about the node (it once made the node "restarted", and the flapping of its links
// went uncounted).
TEST(FleetModelTest, ProcessIsDownOnlyOnTheAgentsEvidence) {
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 5; ++i) {
    NodeObservation& n = view.nodes.emplace_back();
    n.node_id = absl::StrCat("v", i + 1);
    MutableHello(n).set_p2p_addr(absl::StrCat("10.0.0.", i + 1, ":9000"));
    n.last_received = view.now;
    n.latest = std::make_shared<const v1::Snapshot>();  // every node has a snapshot
  }
  auto timed_out = [](v1::Snapshot& s, const char* source) {
    v1::SourceError* e = s.add_source_errors();
    e->set_source(source);
    e->set_timed_out(true);
  };
  // v1: node_api and p2p_sockets both cut off at the deadline.
  timed_out(MutableLatest(view.nodes[0]), "node_api");
  timed_out(MutableLatest(view.nodes[0]), "p2p_sockets");
  // v2: the API refused, the peer source worked and found nobody.
  MutableLatest(view.nodes[1]).mutable_health()->set_reachable(false);
  // v3: the API refused, the peer source was cut off.
  MutableLatest(view.nodes[2]).mutable_health()->set_reachable(false);
  timed_out(MutableLatest(view.nodes[2]), "p2p_sockets");
  // v4: the API answered, nobody heard.
  MutableLatest(view.nodes[3]).mutable_health()->set_reachable(true);
  // v5: the API hung past the deadline (a dead node's half-open port), the peer source worked
  // and found nobody.
  timed_out(MutableLatest(view.nodes[4]), "node_api");
  FleetModel model = BuildFleetModel(view, AnalysisConfig{});
  EXPECT_FALSE(model.nodes[0].process_down);
  EXPECT_TRUE(model.nodes[0].Up());
  EXPECT_TRUE(model.nodes[1].process_down);
  EXPECT_FALSE(model.nodes[2].process_down);
  EXPECT_FALSE(model.nodes[3].process_down);
  EXPECT_TRUE(model.nodes[4].process_down);
}

TEST(FleetModelTest, StalePeerAgeIsNotHeard) {
  testing::SyntheticFleet fleet(3);
  fleet.SetHears("v1", "v2", false);
  fleet.Step();
  FleetView view = fleet.View();
  FleetModel model = BuildFleetModel(view, AnalysisConfig{});
  EXPECT_FALSE(model.Hears(0, 1));
  EXPECT_TRUE(model.Hears(1, 0));
  EXPECT_EQ(model.nodes[0].sessions.size(), 2u);
}

TEST(FleetModelTest, QuorumHeightIsWhatTheQuorumWeightReached) {
  testing::SyntheticFleet fleet(4);
  fleet.SetHeight("v1", 50);
  fleet.SetHeight("v2", 60);
  fleet.SetHeight("v3", 70);
  fleet.SetHeight("v4", 80);
  fleet.SetAllRates(0);
  fleet.Step();
  FleetModel model = BuildFleetModel(fleet.View(), AnalysisConfig{});
  EXPECT_EQ(model.max_height, 80u);
  EXPECT_EQ(model.quorum_weight, 267u);
  EXPECT_EQ(model.quorum_height, 60u);  // v4 + v3 + v2 = 300 >= 267
}

// Nodes `ids` (in this order), each dialling every other at 10.0.0.<k + 1>:9000; the last is an
// observer. No validator list: the agents' roles make the validators.
FleetView DiallingView(const std::vector<std::string>& ids) {
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  for (size_t k = 0; k < ids.size(); ++k) {
    NodeObservation& n = view.nodes.emplace_back();
    n.node_id = ids[k];
    v1::Hello& hello = MutableHello(n);
    hello.set_p2p_addr(absl::StrCat("10.0.0.", k + 1, ":9000"));
    hello.set_role(k + 1 == ids.size() ? "observer" : "validator");
    n.last_received = view.now;
    v1::Snapshot& s = MutableLatest(n);
    for (size_t j = 0; j < ids.size(); ++j) {
      if (j == k) continue;
      v1::PeerView* p = s.add_peers();
      p->set_direction(v1::PEER_DIRECTION_OUTBOUND);
      p->set_remote_addr(absl::StrCat("10.0.0.", j + 1, ":9000"));
      p->set_last_data_recv_age_ms(100);
    }
  }
  return view;
}

// Views with identity generations, as the fleet state hands them out: a new P2P address or
// role, a node leaving or joining comes with a new generation, and the analysis compares that
// view node by node; one without a generation is always compared.
TEST(FleetModelTest, AViewOfANewIdentityGenerationIsComparedNodeByNode) {
  FleetView view = DiallingView({"v1", "v2", "v3", "v4"});
  view.identity_generation = NewIdentityGeneration();
  AnalysisHistory history;
  ExpectTickAsFromScratch(view, history, "first tick");
  ExpectTickAsFromScratch(view, history, "the same generation");

  FleetView readdressed = view;
  MutableHello(readdressed.nodes[1]).set_p2p_addr("10.0.0.22:9000");
  readdressed.identity_generation = NewIdentityGeneration();
  ExpectTickAsFromScratch(readdressed, history, "a new P2P address");

  FleetView new_role = readdressed;
  MutableHello(new_role.nodes[0]).set_role("observer");
  new_role.identity_generation = NewIdentityGeneration();
  ExpectTickAsFromScratch(new_role, history, "a new role");

  FleetView left = new_role;
  left.nodes.erase(left.nodes.begin() + 2);
  left.identity_generation = NewIdentityGeneration();
  ExpectTickAsFromScratch(left, history, "a node left");

  FleetView replaced = left;
  replaced.nodes[2].node_id = "v5";
  replaced.identity_generation = NewIdentityGeneration();
  ExpectTickAsFromScratch(replaced, history, "a node left and another joined");

  FleetView joined = DiallingView({"a0", "v1", "v2", "v3", "v4"});
  joined.identity_generation = NewIdentityGeneration();
  ExpectTickAsFromScratch(joined, history, "a node joined");

  FleetView unknown = view;
  unknown.identity_generation = 0;
  ExpectTickAsFromScratch(unknown, history, "no generation");
  MutableHello(unknown.nodes[3]).set_role("validator");
  ExpectTickAsFromScratch(unknown, history, "no generation, a new role");
}

// A view out of id order (the fleet state never makes one) keeps its order sorted while its
// generation stands.
TEST(FleetModelTest, AViewOutOfIdOrderStaysSortedWhileItsGenerationStands) {
  FleetView view = DiallingView({"v3", "v1", "v2"});
  view.identity_generation = NewIdentityGeneration();
  AnalysisHistory history;
  ExpectTickAsFromScratch(view, history, "first tick");
  ExpectTickAsFromScratch(view, history, "the same generation");
  EXPECT_EQ(BuildFleetModel(view, AnalysisConfig{}).by_id, (std::vector<int>{1, 2, 0}));
}

// Nodes v1..v5 whose agents probe every validator's P2P address, three of which (u1..u3) run
// no agent, with each node's peers made compact as at ingest.
FleetView ProbingView() {
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 5; ++i) {
    NodeObservation& n = view.nodes.emplace_back();
    n.node_id = absl::StrCat("v", i + 1);
    MutableHello(n).set_p2p_addr(absl::StrCat("10.0.0.", i + 1, ":9000"));
    n.last_received = view.now;
    v1::Snapshot& s = MutableLatest(n);
    s.set_seq(7);
    v1::ValidatorSet* set = s.mutable_validators();
    set->set_epoch(1);
    for (int k = 0; k < 8; ++k) {
      v1::Validator* v = set->add_validators();
      v->set_name(k < 5 ? absl::StrCat("v", k + 1) : absl::StrCat("u", k - 4));
      v->set_addr(k < 5 ? absl::StrCat("10.0.0.", k + 1, ":9000")
                        : absl::StrCat("10.0.1.", k - 4, ":9000"));
      v->set_weight(100);
      v1::ProbeResult* probe = s.add_probes();
      probe->set_addr(v->addr());
      probe->set_reachable(true);
    }
    // A session with u1 (the unobserved validators' other lists, by age).
    v1::PeerView* p = s.add_peers();
    p->set_remote_addr("10.0.1.1:9000");
    p->set_direction(v1::PEER_DIRECTION_OUTBOUND);
    p->set_last_data_recv_age_ms(100 * (i + 1));
  }
  return view;
}

// The unobserved validators' `reached_by` lists stand between ticks while every node's probes
// resolve as before at the same index: a probe that stops reaching one, a node losing its
// snapshot or its compact peers, a node joining, leaving or renamed, and the validator list
// changing all give the lists a from-scratch build gives.
TEST(FleetModelTest, KeptReachedByListsFollowProbesNodesAndTheBook) {
  FleetView view = ProbingView();
  std::vector<uint32_t> numbers = {0, 1, 2, 3, 4};
  ModelMemory memory;
  // `peer_views`: the nodes whose peers are not made compact (hand-built, read as PeerViews).
  auto check = [&](const std::string& step, std::vector<int> peer_views = {}) -> FleetModel {
    SCOPED_TRACE(step);
    for (size_t i = 0; i < view.nodes.size(); ++i) {
      NodeObservation& n = view.nodes[i];
      const bool compact =
          std::find(peer_views.begin(), peer_views.end(), static_cast<int>(i)) == peer_views.end();
      n.latest_peers = compact && n.latest != nullptr ? CompactPeersOf(n.latest) : CompactPeers{};
    }
    FleetModel remembered = BuildFleetModel(view, AnalysisConfig{}, numbers, memory);
    FleetModel scratch = BuildFleetModel(view, AnalysisConfig{});
    EXPECT_EQ(remembered.unobserved.size(), scratch.unobserved.size());
    for (size_t k = 0; k < std::min(remembered.unobserved.size(), scratch.unobserved.size()); ++k) {
      const UnobservedValidator& a = scratch.unobserved[k];
      const UnobservedValidator& b = remembered.unobserved[k];
      SCOPED_TRACE(a.entry->name);
      EXPECT_EQ(a.entry->name, b.entry->name);
      EXPECT_EQ(a.reached_by, b.reached_by);
      EXPECT_EQ(a.sessions_by, b.sessions_by);
      EXPECT_EQ(a.session_age_ms, b.session_age_ms);
      EXPECT_EQ(a.heard_by, b.heard_by);
    }
    for (size_t i = 0; i < view.nodes.size(); ++i) {
      EXPECT_EQ(remembered.nodes[i].reachable, scratch.nodes[i].reachable) << i;
    }
    memory.Recycle(std::move(remembered));  // as the analyzer does: the next build reuses it
    return scratch;
  };
  auto probe = [&](int node, int validator) -> v1::ProbeResult& {
    return *MutableLatest(view.nodes[node]).mutable_probes(validator);
  };
  FleetModel first = check("first tick");
  ASSERT_EQ(first.unobserved.size(), 3u);
  EXPECT_EQ(first.unobserved[1].reached_by, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(first.unobserved[0].sessions_by, (std::vector<int>{0, 1, 2, 3, 4}));
  check("nothing changed");
  // v3's probe of u2 fails: the nodes before it keep theirs, the ones after it too.
  probe(2, 6).set_reachable(false);
  EXPECT_EQ(check("a probe stops reaching u2").unobserved[1].reached_by,
            (std::vector<int>{0, 1, 3, 4}));
  check("nothing changed after");
  probe(2, 6).set_reachable(true);
  probe(4, 7).set_reachable(false);
  EXPECT_EQ(check("back, and the last node's probe of u3 fails").unobserved[2].reached_by,
            (std::vector<int>{0, 1, 2, 3}));
  // A tick without v4's snapshot drops its probes; back, they count again.
  std::shared_ptr<const v1::Snapshot> kept = view.nodes[3].latest;
  view.nodes[3].latest = nullptr;
  EXPECT_EQ(check("no snapshot").unobserved[0].reached_by, (std::vector<int>{0, 1, 2, 4}));
  check("still no snapshot");
  view.nodes[3].latest = kept;
  EXPECT_EQ(check("back").unobserved[0].reached_by, (std::vector<int>{0, 1, 2, 3, 4}));
  check("nothing changed after it came back");
  // Hand-built peers (no compact peers) for a tick, then a tick without v2's snapshot after
  // only its peers were read as PeerViews.
  check("no compact peers", {0, 1, 2, 3, 4});
  check("compact again");
  check("v2's peers as PeerViews", {1});
  kept = view.nodes[1].latest;
  view.nodes[1].latest = nullptr;
  EXPECT_EQ(check("no snapshot after the PeerViews").unobserved[0].reached_by,
            (std::vector<int>{0, 2, 3, 4}));
  view.nodes[1].latest = kept;
  check("back after the PeerViews");
  check("nothing changed after the PeerViews");
  // v2 leaves: the nodes after it move down an index.
  NodeObservation left = view.nodes[1];
  view.nodes.erase(view.nodes.begin() + 1);
  numbers.erase(numbers.begin() + 1);
  EXPECT_EQ(check("v2 left").unobserved[1].reached_by, (std::vector<int>{0, 1, 2, 3}));
  check("nothing changed after v2 left");
  view.nodes.insert(view.nodes.begin() + 1, left);
  numbers.insert(numbers.begin() + 1, 1);
  check("v2 joined again");
  // The last node leaves: every index left holds the node it held.
  NodeObservation last = view.nodes.back();
  view.nodes.pop_back();
  numbers.pop_back();
  EXPECT_EQ(check("v5 left").unobserved[1].reached_by, (std::vector<int>{0, 1, 2, 3}));
  view.nodes.push_back(last);
  numbers.push_back(4);
  EXPECT_EQ(check("v5 back").unobserved[1].reached_by, (std::vector<int>{0, 1, 2, 3, 4}));
  // v3 renamed (a new stable number at the same index), its probes as before but one.
  view.nodes[2].node_id = "v3b";
  numbers[2] = 5;
  probe(2, 5).set_reachable(false);
  EXPECT_EQ(check("v3 renamed").unobserved[0].reached_by, (std::vector<int>{0, 1, 3, 4}));
  check("nothing changed after the rename");
  // The validator list changes: u2 leaves it, then u1 moves to another address.
  for (NodeObservation& n : view.nodes) {
    MutableLatest(n).mutable_validators()->mutable_validators()->DeleteSubrange(6, 1);
  }
  FleetModel shorter = check("u2 left the validator list");
  ASSERT_EQ(shorter.unobserved.size(), 2u);
  EXPECT_EQ(shorter.unobserved[1].entry->name, "u3");
  EXPECT_EQ(shorter.unobserved[1].reached_by, (std::vector<int>{0, 1, 2, 3}));
  for (NodeObservation& n : view.nodes) {
    MutableLatest(n).mutable_validators()->mutable_validators(5)->set_addr("10.0.1.9:9000");
  }
  EXPECT_TRUE(check("u1 moved").unobserved[0].reached_by.empty());
  check("nothing changed after u1 moved");
}

// Each node's newest samples come from its observation's samples_tail when that was made from
// its window (TailCurrent), else from the window. A model built from views whose tails are
// current, stale (the window edited by hand after the tail was made) or absent must equal one
// built from the same views with every tail dropped, tick after tick: windows of 0, 1, 2 and
// more samples, gaining 0, 1 or 2 between ticks, and replaced outright (a restart).
TEST(FleetModelTest, SamplesTailsCurrentStaleOrAbsentGiveTheWindowsAnswers) {
  const int n = 8;
  FleetView view;
  view.now = absl::FromUnixSeconds(1'800'000'000);
  uint64_t seq = 0;
  auto add_sample = [&](NodeObservation& node, absl::Duration offset) {
    std::vector<SnapshotSample>& samples = MutableSamples(node);
    SnapshotSample s;
    s.received = node.last_received + absl::Milliseconds(static_cast<int>(300 + (seq * 37) % 500));
    s.taken = s.received + offset;
    s.seq = ++seq;
    samples.push_back(s);
    if (samples.size() > 4) samples.erase(samples.begin());
    node.last_received = s.received;
    v1::Snapshot& latest = MutableLatest(node);
    latest.set_seq(s.seq);
    latest.set_taken_unix_ms(absl::ToUnixMillis(s.taken));
  };
  for (int i = 0; i < n; ++i) {
    NodeObservation& node = view.nodes.emplace_back();
    node.node_id = absl::StrCat("v", i);
    MutableHello(node).set_p2p_addr(absl::StrCat("10.0.0.", i + 1, ":9000"));
    node.latest = std::make_shared<const v1::Snapshot>();
    node.last_received = view.now;
    // v0 never has samples; v1 one, v2 two, the others up to four (the window's bound here).
    for (int k = 0; k < std::min(i, 3); ++k) add_sample(node, absl::Milliseconds(-40 * i));
    node.samples_tail = SamplesTailOf(node.samples);
  }
  std::vector<uint32_t> numbers(n);
  for (int i = 0; i < n; ++i) numbers[i] = static_cast<uint32_t>(i);
  const AnalysisConfig config;
  ModelMemory tailed_memory, whole_memory;
  uint64_t rng = 5;
  int stale = 0, current = 0;
  for (int tick = 0; tick < 200; ++tick) {
    view.now += absl::Seconds(1);
    for (int i = 1; i < n; ++i) {
      NodeObservation& node = view.nodes[i];
      rng = rng * 6364136223846793005u + 1442695040888963407u;
      const int r = static_cast<int>((rng >> 33) % 100);
      const absl::Duration offset = absl::Milliseconds(r * 13 - 600);
      if (i == 1) {
        // One sample at most: each new one replaces the last.
        MutableSamples(node).clear();
        add_sample(node, offset);
      } else if (r < 5) {
        // A restart: the window starts over with other samples.
        MutableSamples(node).clear();
        for (int k = 0; k < 1 + r % 3; ++k) add_sample(node, offset);
      } else {
        const int gained = r < 60 ? 1 : r < 80 ? 0 : 2;
        for (int k = 0; k < gained; ++k) add_sample(node, offset);
      }
      // Most tails are made anew, as the fleet state does; some are left as they were.
      if ((r * 7 + tick) % 4 != 0) node.samples_tail = SamplesTailOf(node.samples);
      (TailCurrent(node) ? current : stale) += 1;
    }
    FleetView without_tails = view;
    for (NodeObservation& node : without_tails.nodes) node.samples_tail = SamplesTail{};
    FleetModel tailed = BuildFleetModel(view, config, numbers, tailed_memory);
    FleetModel whole = BuildFleetModel(without_tails, config, numbers, whole_memory);
    for (int i = 0; i < n; ++i) {
      const NodeFacts& a = tailed.nodes[i];
      const NodeFacts& b = whole.nodes[i];
      ASSERT_EQ(a.phi_terms.y, b.phi_terms.y) << "tick " << tick << " node " << i;
      ASSERT_EQ(a.phi_terms.late, b.phi_terms.late) << "tick " << tick << " node " << i;
      ASSERT_EQ(a.clock_offset, b.clock_offset) << "tick " << tick << " node " << i;
      ASSERT_EQ(a.silent, b.silent) << "tick " << tick << " node " << i;
      ASSERT_EQ(a.taken, b.taken) << "tick " << tick << " node " << i;
    }
    tailed_memory.Recycle(std::move(tailed));
    whole_memory.Recycle(std::move(whole));
  }
  EXPECT_GT(stale, 200);
  EXPECT_GT(current, 800);
}

// The index epoch stays while each index holds the node it held in the memory's previous
// model, and changes when a node is replaced at its index (another stable number), when one
// joins, when a model was not recycled in between, and never repeats; a model from scratch has
// none.
TEST(FleetModelTest, TheIndexEpochChangesExactlyWhenAnIndexHoldsAnotherNode) {
  FleetView view = ProbingView();
  std::vector<uint32_t> numbers = {0, 1, 2, 3, 4};
  ModelMemory memory;
  std::vector<uint64_t> seen;
  auto build = [&](bool recycle = true) {
    FleetModel model = BuildFleetModel(view, AnalysisConfig{}, numbers, memory);
    const uint64_t epoch = model.index_epoch;
    if (recycle) memory.Recycle(std::move(model));
    return epoch;
  };
  const uint64_t first = build();
  EXPECT_NE(first, 0u);
  EXPECT_EQ(build(), first);
  EXPECT_EQ(build(), first);
  numbers[2] = 7;  // another node at index 2 (replaced, renamed)
  const uint64_t replaced = build();
  EXPECT_NE(replaced, first);
  EXPECT_EQ(build(), replaced);
  const uint64_t unrecycled = build(/*recycle=*/false);
  EXPECT_EQ(unrecycled, replaced);  // it follows the recycled one
  const uint64_t after_gap = build();
  EXPECT_NE(after_gap, replaced);
  EXPECT_NE(after_gap, first);
  EXPECT_EQ(BuildFleetModel(view, AnalysisConfig{}).index_epoch, 0u);
}

// UpdateHistory reads each node's restart signs and corruption count from its facts, copied
// there by the model build: the history holds the snapshot's figures and the observation's
// connection change after every tick, and each sign of a quick restart (uptime going back, a
// new node process, the agent reconnecting) and a growing corruption count is noted the tick it
// shows; with the figures made at ingest and made by the model build.
TEST(FleetModelTest, TheHistoryTakesEachNodesRestartSignsAndCorruptionAsItsSnapshotSaysThem) {
  using Seen = testing::SyntheticFleet::RestartSeen;
  for (bool made_at_ingest : {true, false}) {
    SCOPED_TRACE(made_at_ingest ? "figures made at ingest" : "figures made by the model");
    testing::SyntheticFleet fleet(6);
    fleet.SetMadeAtIngest(made_at_ingest);
    AnalysisConfig config;
    AnalysisHistory history;
    PeerGraphMemory graphs;
    absl::Time now;
    auto tick = [&] {
      fleet.Step();
      const FleetView view = fleet.View();
      now = view.now;
      const std::vector<uint32_t> numbers = NumberNodes(view, history);
      FleetModel model = BuildFleetModel(view, config, numbers, history.model_memory);
      UpdateHistory(model, graphs.Build(model), config, history);
      for (size_t i = 0; i < view.nodes.size(); ++i) {
        const NodeObservation& obs = view.nodes[i];
        const NodeHistory* nh = history.Node(numbers[i]);
        ASSERT_NE(nh, nullptr) << obs.node_id;
        const SnapshotFigures fig = SnapshotFiguresOf(*obs.latest);
        if (fig.api_reachable) {
          EXPECT_EQ(nh->uptime_seconds, fig.uptime_seconds) << obs.node_id;
        }
        EXPECT_EQ(nh->node_restarts, fig.node_restarts) << obs.node_id;
        EXPECT_EQ(nh->corruption_lines, fig.corruption_lines) << obs.node_id;
        EXPECT_EQ(nh->connection_changed, obs.connection_changed) << obs.node_id;
      }
      history.model_memory.Recycle(std::move(model));
    };
    auto unsettled = [&](const std::string& node) {
      return now <= history.nodes[history.numbers.at(node)].unsettled_until;
    };
    for (int t = 0; t < 5; ++t) tick();
    for (const char* node : {"v2", "v3", "v4", "v5"}) EXPECT_FALSE(unsettled(node)) << node;
    fleet.QuickRestart("v2", Seen::kUptime);
    fleet.QuickRestart("v3", Seen::kNewPid);
    fleet.QuickRestart("v4", Seen::kAgentReconnect);
    fleet.SetCorruptionLines("v5", 4);
    tick();
    for (const char* node : {"v2", "v3", "v4"}) EXPECT_TRUE(unsettled(node)) << node;
    EXPECT_FALSE(unsettled("v5"));
    EXPECT_EQ(history.nodes[history.numbers.at("v5")].corruption_grew, now);
    tick();
    EXPECT_LT(history.nodes[history.numbers.at("v5")].corruption_grew, now);
  }
}

// The engine and participant figures the model build copies into each node's facts (for the
// engine-failure and drift detectors and ExpectedPeers) are the snapshot's, tick after tick on
// recycled facts: an engine failing, a participant set losing a key, and a node without a
// snapshot (false and 0, even at an index whose facts held a failed engine the tick before);
// with the figures made at ingest and made by the model build.
TEST(FleetModelTest, TheFactsCarryEachSnapshotsEngineAndParticipantFigures) {
  for (bool made_at_ingest : {true, false}) {
    SCOPED_TRACE(made_at_ingest ? "figures made at ingest" : "figures made by the model");
    testing::SyntheticFleet fleet(7);
    fleet.SetSimplex(true);
    fleet.SetMadeAtIngest(made_at_ingest);
    const AnalysisConfig config;
    AnalysisHistory history;
    // `without`: the index of a node whose snapshot the view drops this tick.
    auto tick = [&](const std::string& step, int without = -1) -> FleetModel {
      SCOPED_TRACE(step);
      fleet.Step();
      FleetView view = fleet.View();
      if (without >= 0) view.nodes[without].latest = nullptr;
      const std::vector<uint32_t> numbers = NumberNodes(view, history);
      FleetModel model = BuildFleetModel(view, config, numbers, history.model_memory);
      for (size_t i = 0; i < view.nodes.size(); ++i) {
        const NodeObservation& obs = view.nodes[i];
        const NodeFacts& f = model.nodes[i];
        SCOPED_TRACE(obs.node_id);
        if (obs.latest == nullptr) {
          EXPECT_FALSE(f.engine_failed);
          EXPECT_EQ(f.participants, 0);
          EXPECT_EQ(f.participants_hash, 0u);
          continue;
        }
        const SnapshotFigures fig = SnapshotFiguresOf(*obs.latest);
        EXPECT_EQ(f.engine_failed, fig.engine_failed);
        EXPECT_EQ(f.participants, fig.participants);
        EXPECT_EQ(f.participants_hash, fig.participants_hash);
        EXPECT_EQ(f.participants_hash, ParticipantsHash(ParticipantKeys(*obs.latest)));
      }
      FleetModel copy;
      copy.nodes = model.nodes;
      history.model_memory.Recycle(std::move(model));
      return copy;
    };
    for (int t = 0; t < 3; ++t) tick("steady");
    fleet.FailEngine("v2");
    FleetModel failed = tick("v2's engine fails");
    EXPECT_TRUE(failed.nodes[1].engine_failed);
    EXPECT_FALSE(failed.nodes[0].engine_failed);
    EXPECT_EQ(failed.nodes[0].participants, 7);
    const uint64_t agreed = failed.nodes[0].participants_hash;
    EXPECT_NE(agreed, 0u);
    FleetModel dropped = tick("v2 without a snapshot", 1);
    EXPECT_FALSE(dropped.nodes[1].engine_failed);
    EXPECT_EQ(dropped.nodes[1].participants, 0);
    EXPECT_TRUE(tick("v2 back").nodes[1].engine_failed);
    fleet.DropAllowedPeer("v3", "v6");
    FleetModel drifted = tick("v3 lacks v6");
    EXPECT_EQ(drifted.nodes[2].participants, 6);
    EXPECT_NE(drifted.nodes[2].participants_hash, agreed);
    EXPECT_EQ(drifted.nodes[3].participants_hash, agreed);
  }
}

}  // namespace
}  // namespace guts::collector
