// SnapshotWriter's view of its own health: a batch that is being written still counts as lag,
// so a write that stalls (a slow disk, a starved writer thread) shows as overload instead of
// as an empty queue, and the analysis holds back "node silent" verdicts meanwhile (S24).
#include "collector/ingest/snapshot_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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

}  // namespace
}  // namespace guts::collector
