#include "collector/fleet/fleet_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "collector/analysis/analysis_history.h"
#include "collector/analysis/fleet_model.h"
#include "tests/analysis/tick_as_from_scratch.h"
#include "tests/collector/fleet/snapshot_record.h"

namespace guts::collector {
namespace {

using ::guts::collector::testing::ExpectTickAsFromScratch;
using ::guts::collector::testing::Record;

TEST(FleetStateTest, SamplesAreBoundedToTheWindowOldestFirst) {
  FleetState fleet(3);
  absl::Time t = absl::Now();
  std::vector<SnapshotRecord> records;
  for (uint64_t seq = 1; seq <= 5; ++seq) records.push_back(Record("v1", seq, t));
  fleet.Stored(records);
  FleetView view = fleet.View(t);
  ASSERT_EQ(view.nodes.size(), 1u);
  ASSERT_NE(view.nodes[0].samples, nullptr);
  ASSERT_EQ(view.nodes[0].samples->size(), 3u);
  EXPECT_EQ(view.nodes[0].samples->front().seq, 3u);
  EXPECT_EQ(view.nodes[0].samples->back().height, 50u);
  ASSERT_NE(view.nodes[0].latest, nullptr);
  EXPECT_EQ(view.nodes[0].latest->seq(), 5u);
  // The analysis' per-snapshot facts are made with the newest snapshot, not an older one.
  EXPECT_EQ(view.nodes[0].latest_figures.seq, 5u);
  EXPECT_EQ(view.nodes[0].latest_figures.finalized_height, 50u);
  EXPECT_EQ(view.nodes[0].latest_peers.seq, 5u);
}

// Snapshots and windows are shared with the views, never edited: a view keeps what it was made
// with while newer snapshots arrive, and the window stays bounded across batches.
TEST(FleetStateTest, AViewKeepsItsSnapshotsAndSamplesWhileNewerOnesArrive) {
  FleetState fleet(3);
  absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  fleet.Stored({Record("v1", 1, t), Record("v2", 1, t)});
  FleetView before = fleet.View(t);
  ASSERT_EQ(before.nodes.size(), 2u);
  const guts::diag::v1::Snapshot* first = before.nodes[0].latest.get();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(LatestOf(before.nodes[0]).seq(), 1u);

  for (uint64_t seq = 2; seq <= 5; ++seq) {
    fleet.Stored({Record("v1", seq, t + absl::Seconds(static_cast<int64_t>(seq)))});
  }
  // An older snapshot stored late adds a sample but does not replace the newer latest.
  fleet.Stored({Record("v1", 4, t + absl::Seconds(6))});
  FleetView after = fleet.View(t + absl::Seconds(6));
  EXPECT_EQ(after.nodes[0].latest->seq(), 5u);
  EXPECT_EQ(after.nodes[0].latest_figures.seq, 5u);
  std::vector<uint64_t> seqs;
  for (const SnapshotSample& s : SamplesOf(after.nodes[0])) seqs.push_back(s.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{4, 5, 4}));

  // The first view still reads seq 1 and its one-sample window.
  EXPECT_EQ(before.nodes[0].latest.get(), first);
  EXPECT_EQ(before.nodes[0].latest->seq(), 1u);
  ASSERT_EQ(SamplesOf(before.nodes[0]).size(), 1u);
  EXPECT_EQ(SamplesOf(before.nodes[0])[0].seq, 1u);
  // v2 got nothing new: both views share its snapshot and window.
  EXPECT_EQ(after.nodes[1].latest.get(), before.nodes[1].latest.get());
  EXPECT_EQ(after.nodes[1].samples.get(), before.nodes[1].samples.get());
}

TEST(FleetStateTest, ANodeWithoutSnapshotsHasNoLatestAndNoSamples) {
  FleetState fleet;
  guts::diag::v1::Hello hello;
  hello.set_node_id("v1");
  fleet.Connected(hello, absl::Now());
  FleetView view = fleet.View(absl::Now());
  ASSERT_EQ(view.nodes.size(), 1u);
  EXPECT_EQ(view.nodes[0].latest, nullptr);
  EXPECT_EQ(LatestOf(view.nodes[0]).seq(), 0u);
  EXPECT_TRUE(SamplesOf(view.nodes[0]).empty());
}

TEST(FleetStateTest, ConnectAndDisconnectFlipTheFlag) {
  FleetState fleet;
  guts::diag::v1::Hello hello;
  hello.set_node_id("v2");
  hello.set_role("observer");
  absl::Time t = absl::Now();
  fleet.Connected(hello, t);
  EXPECT_TRUE(fleet.Node("v2")->connected);
  EXPECT_EQ(HelloOf(*fleet.Node("v2")).role(), "observer");
  fleet.Disconnected("v2", t + absl::Seconds(1));
  EXPECT_FALSE(fleet.Node("v2")->connected);
  EXPECT_FALSE(fleet.Node("v9").has_value());
}

TEST(FleetStateTest, RestoreRebuildsLatestHelloAndRecentSamplesFromTheStore) {
  std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("guts-fleet-state-test-", getpid());
  std::filesystem::remove_all(dir);
  absl::Time now = absl::Now();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->PutSnapshots({Record("v1", 1, now - absl::Hours(5)),
                                    Record("v1", 2, now - absl::Seconds(2)),
                                    Record("v1", 3, now - absl::Seconds(1))})
                    .ok());
    guts::diag::v1::Hello hello;
    hello.set_node_id("v1");
    hello.set_p2p_addr("127.0.0.11:9000");
    ASSERT_TRUE((*store)->PutHello(hello).ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  ASSERT_TRUE(store.ok());
  FleetState fleet;
  ASSERT_TRUE(fleet.Restore(**store, now).ok());
  std::optional<NodeObservation> v1 = fleet.Node("v1");
  ASSERT_TRUE(v1.has_value());
  ASSERT_NE(v1->latest, nullptr);
  EXPECT_EQ(v1->latest->seq(), 3u);
  EXPECT_TRUE(v1->latest_figures.valid);
  EXPECT_EQ(v1->latest_figures.finalized_height, 30u);
  EXPECT_EQ(HelloOf(*v1).p2p_addr(), "127.0.0.11:9000");
  EXPECT_FALSE(v1->connected);
  // The five-hour-old snapshot is outside the sample window's reach.
  ASSERT_EQ(SamplesOf(*v1).size(), 2u);
  EXPECT_EQ(SamplesOf(*v1).front().seq, 2u);
  store->reset();
  std::filesystem::remove_all(dir);
}

guts::diag::v1::Hello HelloOf(const std::string& node, const std::string& p2p_addr,
                              const std::string& role = "validator") {
  guts::diag::v1::Hello hello;
  hello.set_node_id(node);
  hello.set_p2p_addr(p2p_addr);
  hello.set_role(role);
  return hello;
}

// Every node joining and every Hello stored takes a new identity generation; snapshots, the
// stream closing and views leave it. The analysis keeps the nodes' numbers, order, addresses
// and roles while it stands, so a change that kept it would leave the analysis stale.
TEST(FleetStateTest, IdentityGenerationChangesWhenANodeJoinsOrSaysAHello) {
  FleetState fleet;
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  std::set<uint64_t> seen;
  auto generation = [&] { return fleet.View(t).identity_generation; };
  const uint64_t empty = generation();
  EXPECT_NE(empty, 0u);
  seen.insert(empty);
  EXPECT_EQ(fleet.View(t + absl::Seconds(1), /*with_samples=*/false).identity_generation, empty);

  fleet.Connected(HelloOf("v1", "10.0.0.1:9000"), t);
  const uint64_t joined = generation();
  EXPECT_TRUE(seen.insert(joined).second) << "a node joined with a Hello";
  fleet.Stored({Record("v1", 1, t)});
  fleet.Disconnected("v1", t + absl::Seconds(1));
  fleet.Disconnected("v9", t + absl::Seconds(1));
  EXPECT_EQ(generation(), joined) << "a snapshot and a closed stream change no identity";

  fleet.Connected(HelloOf("v1", "10.0.0.9:9000"), t + absl::Seconds(2));
  const uint64_t readdressed = generation();
  EXPECT_TRUE(seen.insert(readdressed).second) << "a reconnect with a new P2P address";
  fleet.Connected(HelloOf("v1", "10.0.0.9:9000", "observer"), t + absl::Seconds(3));
  const uint64_t new_role = generation();
  EXPECT_TRUE(seen.insert(new_role).second) << "a reconnect with a new role";
  fleet.Connected(HelloOf("v1", "10.0.0.9:9000", "observer"), t + absl::Seconds(4));
  EXPECT_TRUE(seen.insert(generation()).second) << "every Hello stored counts";

  fleet.Stored({Record("v2", 1, t + absl::Seconds(5))});
  EXPECT_TRUE(seen.insert(generation()).second) << "a node first seen by its snapshot";
  EXPECT_EQ(fleet.View(t).nodes.size(), 2u);
}

// Restoring at start-up adds the nodes and their Hellos: a new generation, and one no other
// fleet state restored from the same store shares.
TEST(FleetStateTest, RestoreTakesANewIdentityGeneration) {
  std::string dir = std::filesystem::temp_directory_path() /
                    absl::StrCat("guts-fleet-state-generation-test-", getpid());
  std::filesystem::remove_all(dir);
  absl::Time now = absl::Now();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->PutSnapshots({Record("v1", 1, now - absl::Seconds(1))}).ok());
    ASSERT_TRUE((*store)->PutHello(HelloOf("v1", "127.0.0.11:9000")).ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  ASSERT_TRUE(store.ok());
  FleetState first;
  FleetState second;
  const uint64_t before = first.View(now).identity_generation;
  ASSERT_TRUE(first.Restore(**store, now).ok());
  ASSERT_TRUE(second.Restore(**store, now).ok());
  const uint64_t restored = first.View(now).identity_generation;
  EXPECT_NE(restored, before);
  EXPECT_NE(restored, 0u);
  EXPECT_NE(second.View(now).identity_generation, restored);
  EXPECT_EQ(HelloOf(first.View(now).nodes.at(0)).p2p_addr(), "127.0.0.11:9000");
  store->reset();
  std::filesystem::remove_all(dir);
}

// Two fleet states that went through the same steps still hand out different generations.
TEST(FleetStateTest, TwoFleetStatesNeverShareAnIdentityGeneration) {
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  FleetState a;
  FleetState b;
  EXPECT_NE(a.View(t).identity_generation, b.View(t).identity_generation);
  a.Connected(HelloOf("v1", "10.0.0.1:9000"), t);
  b.Connected(HelloOf("v1", "10.0.0.1:9000"), t);
  EXPECT_NE(a.View(t).identity_generation, b.View(t).identity_generation);
}

// A snapshot of `node` with an outbound session to each of `dials` (P2P addresses).
SnapshotRecord Dialling(const std::string& node, uint64_t seq, absl::Time taken,
                        const std::vector<std::string>& dials) {
  SnapshotRecord r = Record(node, seq, taken);
  for (const std::string& addr : dials) {
    guts::diag::v1::PeerView* p = r.snapshot.add_peers();
    p->set_direction(guts::diag::v1::PEER_DIRECTION_OUTBOUND);
    p->set_remote_addr(addr);
    p->set_last_data_recv_age_ms(100);
  }
  return r;
}

// A fleet of `prefix`1..3 whose agents dial each other at 10.0.`net`.i:9000; the third is an
// observer. No validator list anywhere: the agents' roles make the validators.
void AddDiallingFleet(FleetState& fleet, const std::string& prefix, int net, absl::Time t) {
  auto addr = [net](int i) { return absl::StrCat("10.0.", net, ".", i, ":9000"); };
  for (int i = 1; i <= 3; ++i) {
    fleet.Connected(HelloOf(absl::StrCat(prefix, i), addr(i), i == 3 ? "observer" : "validator"),
                    t);
  }
  for (int i = 1; i <= 3; ++i) {
    std::vector<std::string> dials;
    for (int j = 1; j <= 3; ++j) {
      if (j != i) dials.push_back(addr(j));
    }
    fleet.Stored({Dialling(absl::StrCat(prefix, i), 1, t, dials)});
  }
}

// The analysis keeps what it made of the nodes' ids, order, addresses and roles while the view's
// identity generation stands; each change the fleet state makes between two ticks reaches it.
TEST(FleetStateTest, TheAnalysisSeesEveryNodeAndHelloChangeBetweenTwoTicks) {
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  FleetState fleet;
  AddDiallingFleet(fleet, "v", 0, t);
  AnalysisHistory history;
  ExpectTickAsFromScratch(fleet.View(t), history, "first tick");
  ExpectTickAsFromScratch(fleet.View(t + absl::Seconds(1)), history, "nothing changed");

  // v2's agent reconnects with a new P2P address: the others' sessions to the old one are no
  // longer v2's.
  fleet.Connected(HelloOf("v2", "10.0.0.22:9000"), t + absl::Seconds(2));
  FleetView readdressed = fleet.View(t + absl::Seconds(2));
  ASSERT_EQ(BuildFleetModel(readdressed, AnalysisConfig{}).nodes[0].sessions,
            (std::vector<int>{2}));
  ExpectTickAsFromScratch(readdressed, history, "a new P2P address");

  // v1 says it is an observer now: one validator fewer.
  fleet.Connected(HelloOf("v1", "10.0.0.1:9000", "observer"), t + absl::Seconds(3));
  FleetView new_role = fleet.View(t + absl::Seconds(3));
  ASSERT_EQ(BuildFleetModel(new_role, AnalysisConfig{}).total_weight, 1u);
  ExpectTickAsFromScratch(new_role, history, "a new role");

  // A node first seen by its snapshot, sorted ahead of every other: each moves one place on.
  fleet.Stored({Dialling("a0", 1, t + absl::Seconds(4), {"10.0.0.1:9000"})});
  FleetView joined = fleet.View(t + absl::Seconds(4));
  ASSERT_EQ(joined.nodes.size(), 4u);
  ExpectTickAsFromScratch(joined, history, "a node joined");
  ExpectTickAsFromScratch(fleet.View(t + absl::Seconds(5)), history, "nothing changed again");
}

// Two fleet states that went through the same steps feed one analyzer in turn: neither's view
// passes for the other's.
TEST(FleetStateTest, TwoFleetStatesFeedingOneAnalysisAreNeverTakenForEachOther) {
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  FleetState a;
  FleetState b;
  AddDiallingFleet(a, "a", 1, t);
  AddDiallingFleet(b, "b", 2, t);
  AnalysisHistory history;
  for (int tick = 0; tick < 4; ++tick) {
    const absl::Time now = t + absl::Seconds(tick);
    ExpectTickAsFromScratch(a.View(now), history, absl::StrCat("fleet a, tick ", tick));
    ExpectTickAsFromScratch(b.View(now), history, absl::StrCat("fleet b, tick ", tick));
  }
}

// Every window the fleet state stores comes with its tail (the analysis reads a node's newest
// samples from it): one, two and more samples, batches larger than the window, and a node
// without snapshots; views and Node() carry it, a view without samples has neither.
TEST(FleetStateTest, EveryWindowStoredComesWithItsTail) {
  FleetState fleet(3);
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  auto expect_tail = [](const NodeObservation& node, const std::string& step) {
    SCOPED_TRACE(step);
    ASSERT_NE(node.samples, nullptr);
    EXPECT_TRUE(TailCurrent(node));
    const std::vector<SnapshotSample>& samples = *node.samples;
    ASSERT_EQ(node.samples_tail.size, samples.size());
    for (size_t k = samples.size() < 2 ? 2 - samples.size() : 0; k < 2; ++k) {
      const SnapshotSample& want = samples[samples.size() - 2 + k];
      EXPECT_EQ(node.samples_tail.last[k].seq, want.seq) << k;
      EXPECT_EQ(node.samples_tail.last[k].received, want.received) << k;
      EXPECT_EQ(node.samples_tail.last[k].taken, want.taken) << k;
      EXPECT_EQ(node.samples_tail.last[k].height, want.height) << k;
    }
  };
  fleet.Connected(HelloOf("v0", "10.0.0.1:9000"), t);
  EXPECT_TRUE(TailCurrent(*fleet.Node("v0")));  // no window, no tail
  EXPECT_EQ(fleet.Node("v0")->samples_tail.size, 0u);
  fleet.Stored({Record("v1", 1, t)});
  expect_tail(*fleet.Node("v1"), "one sample");
  fleet.Stored({Record("v1", 2, t + absl::Seconds(1))});
  expect_tail(*fleet.Node("v1"), "two samples");
  fleet.Stored({Record("v1", 3, t + absl::Seconds(2)), Record("v1", 4, t + absl::Seconds(3))});
  expect_tail(*fleet.Node("v1"), "two more, bounded");
  std::vector<SnapshotRecord> batch;
  for (uint64_t seq = 5; seq <= 9; ++seq)
    batch.push_back(Record("v1", seq, t + absl::Seconds(seq)));
  fleet.Stored(batch);
  expect_tail(*fleet.Node("v1"), "a batch longer than the window");
  EXPECT_EQ(fleet.Node("v1")->samples_tail.last[1].seq, 9u);
  EXPECT_EQ(fleet.Node("v1")->samples_tail.last[0].seq, 8u);
  const FleetView view = fleet.View(t + absl::Seconds(10));
  ASSERT_EQ(view.nodes.size(), 2u);
  EXPECT_TRUE(TailCurrent(view.nodes[0]));
  expect_tail(view.nodes[1], "in a view");
  const FleetView bare = fleet.View(t + absl::Seconds(10), /*with_samples=*/false);
  EXPECT_EQ(bare.nodes[1].samples, nullptr);
  EXPECT_EQ(bare.nodes[1].samples_tail.source, nullptr);
}

// Restore rebuilds each window with its tail.
TEST(FleetStateTest, RestoreRebuildsEachWindowWithItsTail) {
  std::string dir = std::filesystem::temp_directory_path() /
                    absl::StrCat("guts-fleet-state-tail-test-", getpid());
  std::filesystem::remove_all(dir);
  absl::Time now = absl::Now();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->PutSnapshots({Record("v1", 1, now - absl::Seconds(3)),
                                    Record("v1", 2, now - absl::Seconds(2)),
                                    Record("v1", 3, now - absl::Seconds(1)),
                                    Record("v2", 1, now - absl::Seconds(1))})
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  ASSERT_TRUE(store.ok());
  FleetState fleet;
  ASSERT_TRUE(fleet.Restore(**store, now).ok());
  for (const char* id : {"v1", "v2"}) {
    std::optional<NodeObservation> node = fleet.Node(id);
    ASSERT_TRUE(node.has_value());
    EXPECT_TRUE(TailCurrent(*node)) << id;
    ASSERT_EQ(node->samples_tail.size, SamplesOf(*node).size()) << id;
    EXPECT_EQ(node->samples_tail.last[1].seq, SamplesOf(*node).back().seq) << id;
  }
  EXPECT_EQ(fleet.Node("v1")->samples_tail.last[0].seq, 2u);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace guts::collector
