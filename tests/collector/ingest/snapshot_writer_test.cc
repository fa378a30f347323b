// SnapshotWriter's view of its own health: a batch that is being written still counts as lag,
// so a write that stalls (a slow disk, a starved writer thread) shows as overload instead of
// as an empty queue, and the analysis holds back "node silent" verdicts meanwhile (S24).
#include "collector/ingest/snapshot_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "collector/fleet/fleet_state.h"
#include "collector/http/metrics.h"
#include "collector/store/store.h"

namespace guts::collector {
namespace {

// Holds the writer thread inside the batch it is writing until released: a stalled write.
class StallingAck : public AckSink {
 public:
  void Acked(uint64_t) override {
    entered_.Notify();
    release_.WaitForNotification();
  }
  absl::Notification entered_, release_;
};

TEST(SnapshotWriterTest, BatchStuckInTheWriteCountsAsLagThoughTheQueueIsEmpty) {
  std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("guts-writer-test-", getpid());
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  ASSERT_TRUE(store.ok()) << store.status();
  FleetState fleet;
  CollectorMetrics metrics;
  SnapshotWriter writer(store->get(), &fleet, &metrics, {.overload_lag = absl::Seconds(2)});
  ASSERT_TRUE(writer.Start().ok());

  auto ack = std::make_shared<StallingAck>();
  const absl::Time received = absl::Now();
  PendingSnapshot pending{.received = received, .ack = ack};
  pending.snapshot.set_node_id("v1");
  pending.snapshot.set_seq(1);
  pending.snapshot.set_taken_unix_ms(absl::ToUnixMillis(received));
  ASSERT_TRUE(writer.Submit(std::move(pending)).ok());
  ASSERT_TRUE(ack->entered_.WaitForNotificationWithTimeout(absl::Seconds(30)));

  // The queue is empty now; the snapshot sits in the batch the writer is stuck on.
  CollectorHealth stuck = writer.Health(received + absl::Seconds(5));
  EXPECT_TRUE(stuck.overloaded);
  EXPECT_GE(stuck.ingest_lag, absl::Seconds(5));

  ack->release_.Notify();
  writer.Stop();
  CollectorHealth done = writer.Health(received + absl::Seconds(5));
  EXPECT_FALSE(done.overloaded);
  EXPECT_EQ(done.ingest_lag, absl::ZeroDuration());
  EXPECT_EQ(writer.LastStoredSeq("v1"), 1u);
  writer.Stop();
  store->reset();
  std::filesystem::remove_all(dir);
}

// Stores `seqs` of `node` (each with its spool_dropped) and waits until they are written.
void StoreSeqs(SnapshotWriter& writer, const std::string& node,
               const std::vector<std::pair<uint64_t, uint64_t>>& seqs) {
  for (const auto& [seq, dropped] : seqs) {
    PendingSnapshot pending{.received = absl::Now()};
    pending.snapshot.set_node_id(node);
    pending.snapshot.set_seq(seq);
    pending.snapshot.set_spool_dropped(dropped);
    pending.snapshot.set_taken_unix_ms(absl::ToUnixMillis(absl::Now()) + static_cast<int64_t>(seq));
    ASSERT_TRUE(writer.Submit(std::move(pending)).ok());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (writer.LastStoredSeq(node) < seqs.back().first && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(writer.LastStoredSeq(node), seqs.back().first);
}

TEST(SnapshotWriterTest, LossTotalsSurviveARestartAndCountOn) {
  std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("guts-writer-loss-", getpid());
  std::filesystem::remove_all(dir);
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
    ASSERT_TRUE(store.ok()) << store.status();
    FleetState fleet;
    CollectorMetrics metrics;
    SnapshotWriter writer(store->get(), &fleet, &metrics, {});
    ASSERT_TRUE(writer.Start().ok());
    // The spool dropped 3 and 4 (seq 5 says so); 8 never came.
    StoreSeqs(writer, "v1", {{1, 0}, {2, 0}, {5, 2}, {6, 0}, {7, 0}, {9, 0}});
    StoreSeqs(writer, "v2", {{1, 0}, {2, 0}});
    writer.Stop();
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  ASSERT_TRUE(store.ok()) << store.status();
  FleetState fleet;
  CollectorMetrics metrics;
  SnapshotWriter writer(store->get(), &fleet, &metrics, {});
  ASSERT_TRUE(writer.Start().ok());
  guts::diag::v1::SnapshotLoss loss = writer.LossOf("v1");
  EXPECT_EQ(loss.spool_dropped(), 2u);
  EXPECT_EQ(loss.seq_gaps(), 2u);
  EXPECT_EQ(loss.seqs_missing(), 3u);
  EXPECT_EQ(writer.LossOf("v2").seqs_missing(), 0u);
  guts::diag::v1::FleetStatus no_fleet;
  std::string text = metrics.Render(no_fleet, StoreFigures{});
  EXPECT_NE(text.find("guts_node_seqs_missing_total{node=\"v1\"} 3"), std::string::npos) << text;
  // Counting goes on from the stored totals: one more gap of 2 after the restart.
  StoreSeqs(writer, "v1", {{12, 1}});
  loss = writer.LossOf("v1");
  EXPECT_EQ(loss.spool_dropped(), 3u);
  EXPECT_EQ(loss.seq_gaps(), 3u);
  EXPECT_EQ(loss.seqs_missing(), 5u);
  writer.Stop();
  store->reset();
  std::filesystem::remove_all(dir);
}

// A node's first_seen, kept with its latest snapshot, is the fleet state's: when its agent
// first connected, or the arrival of its first snapshot when none did. The writer asks the
// fleet state once per node and carries the answer from then on, so it must not mix up nodes
// nor keep an arrival the fleet state does not hold.
TEST(SnapshotWriterTest, FirstSeenStaysTheFleetStatesAcrossBatches) {
  std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("guts-writer-first-seen-", getpid());
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  ASSERT_TRUE(store.ok()) << store.status();
  FleetState fleet;
  CollectorMetrics metrics;
  SnapshotWriter writer(store->get(), &fleet, &metrics, {.batch_linger = absl::ZeroDuration()});
  ASSERT_TRUE(writer.Start().ok());
  const absl::Time connected = absl::FromUnixSeconds(1'700'000'000);
  guts::diag::v1::Hello hello;
  hello.set_node_id("v1");
  fleet.Connected(hello, connected);
  const absl::Time first = absl::FromUnixSeconds(1'700'000'100);
  // v1 (connected) and v2 (never connected) in the same batches, v2 first in every other.
  for (uint64_t seq = 1; seq <= 4; ++seq) {
    for (const std::string& node :
         seq % 2 ? std::vector<std::string>{"v2", "v1"} : std::vector<std::string>{"v1", "v2"}) {
      PendingSnapshot pending{.received = first + absl::Seconds(static_cast<int64_t>(seq))};
      pending.snapshot.set_node_id(node);
      pending.snapshot.set_seq(seq);
      pending.snapshot.set_taken_unix_ms(absl::ToUnixMillis(pending.received));
      ASSERT_TRUE(writer.Submit(std::move(pending)).ok());
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while ((writer.LastStoredSeq("v1") < seq || writer.LastStoredSeq("v2") < seq) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    ASSERT_EQ(writer.LastStoredSeq("v2"), seq);
    if (seq == 2) {
      hello.set_node_id("v2");  // v2's agent connects late: its first_seen stays
      fleet.Connected(hello, first + absl::Seconds(30));
    }
    absl::StatusOr<std::vector<LatestNode>> latest = (*store)->LatestAll();
    ASSERT_TRUE(latest.ok()) << latest.status();
    ASSERT_EQ(latest->size(), 2u);
    EXPECT_EQ((*latest)[0].node_id, "v1");
    EXPECT_EQ((*latest)[0].first_seen, connected) << seq;
    EXPECT_EQ((*latest)[1].first_seen, first + absl::Seconds(1)) << seq;
    EXPECT_EQ(fleet.Node("v1")->first_seen, connected);
    EXPECT_EQ(fleet.Node("v2")->first_seen, first + absl::Seconds(1));
  }
  writer.Stop();
  store->reset();
  std::filesystem::remove_all(dir);
}

// Group commit: snapshots that reach a caught-up writer within its linger share one batch, a
// full batch ends the linger at once, and stopping writes what is lingering.
class WriterLingerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("guts-writer-linger-", getpid());
    std::filesystem::remove_all(dir_);
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir_});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static void Submit(SnapshotWriter& writer, int node, uint64_t seq) {
    PendingSnapshot pending{.received = absl::Now()};
    pending.snapshot.set_node_id(absl::StrCat("v", node));
    pending.snapshot.set_seq(seq);
    pending.snapshot.set_taken_unix_ms(absl::ToUnixMillis(absl::Now()));
    ASSERT_TRUE(writer.Submit(std::move(pending)).ok());
  }
  static bool StoredWithin(SnapshotWriter& writer, int nodes, absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    for (;;) {
      int stored = 0;
      for (int n = 1; n <= nodes; ++n) stored += writer.LastStoredSeq(absl::StrCat("v", n)) == 1;
      if (stored == nodes) return true;
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
  FleetState fleet_;
  CollectorMetrics metrics_;
};

TEST_F(WriterLingerTest, SnapshotsArrivingWithinTheLingerShareOneWrite) {
  SnapshotWriter writer(store_.get(), &fleet_, &metrics_,
                        {.batch_linger = absl::Seconds(2), .linger_batch = 1000});
  ASSERT_TRUE(writer.Start().ok());
  for (int n = 1; n <= 10; ++n) Submit(writer, n, 1);
  ASSERT_TRUE(StoredWithin(writer, 10, absl::Seconds(30)));
  EXPECT_EQ(metrics_.write_batches.Value(), 1);
  EXPECT_EQ(metrics_.snapshots_stored.Value(), 10);
  writer.Stop();
}

TEST_F(WriterLingerTest, AFullBatchIsWrittenWithoutWaitingOutTheLinger) {
  SnapshotWriter writer(store_.get(), &fleet_, &metrics_,
                        {.batch_linger = absl::Minutes(10), .linger_batch = 5});
  ASSERT_TRUE(writer.Start().ok());
  for (int n = 1; n <= 5; ++n) Submit(writer, n, 1);
  EXPECT_TRUE(StoredWithin(writer, 5, absl::Seconds(30)));
  writer.Stop();
}

TEST_F(WriterLingerTest, StoppingWritesWhatIsLingering) {
  SnapshotWriter writer(store_.get(), &fleet_, &metrics_,
                        {.batch_linger = absl::Minutes(10), .linger_batch = 1000});
  ASSERT_TRUE(writer.Start().ok());
  Submit(writer, 1, 1);
  const absl::Time stop = absl::Now();
  writer.Stop();
  EXPECT_LT(absl::Now() - stop, absl::Seconds(30));
  EXPECT_EQ(writer.LastStoredSeq("v1"), 1u);
}

}  // namespace
}  // namespace guts::collector
