#include "collector/fleet/fleet_state.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace guts::collector {
namespace {

SnapshotRecord Record(const std::string& node, uint64_t seq, absl::Time taken) {
  SnapshotRecord r;
  r.snapshot.set_node_id(node);
  r.snapshot.set_seq(seq);
  r.snapshot.set_taken_unix_ms(absl::ToUnixMillis(taken));
  r.snapshot.mutable_consensus()->set_finalized_height(seq * 10);
  r.received = taken;
  r.first_seen = taken;
  return r;
}

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
  EXPECT_EQ(fleet.Node("v2")->hello.role(), "observer");
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
  EXPECT_EQ(v1->hello.p2p_addr(), "127.0.0.11:9000");
  EXPECT_FALSE(v1->connected);
  // The five-hour-old snapshot is outside the sample window's reach.
  ASSERT_EQ(SamplesOf(*v1).size(), 2u);
  EXPECT_EQ(SamplesOf(*v1).front().seq, 2u);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace guts::collector
