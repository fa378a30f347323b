// ArchiveCheckQueue: checks run on a fixed number of threads, a bounded number wait, and the
// rest are refused at once with RESOURCE_EXHAUSTED; what waits runs before the queue is gone.
#include "collector/bundles/archive_check_queue.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace guts::collector {
namespace {

TEST(ArchiveCheckQueueTest, BeyondTheRunningAndWaitingChecksUploadsAreRefused) {
  absl::Notification release;
  std::atomic<int> done{0};
  std::atomic<int> running_at_most{0}, running{0};
  auto slow_check = [&] {
    int now = ++running;
    int seen = running_at_most.load();
    while (now > seen && !running_at_most.compare_exchange_weak(seen, now)) {
    }
    release.WaitForNotification();
    --running;
    ++done;
  };
  {
    ArchiveCheckQueue queue({.checks = 2, .max_waiting = 3});
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(queue.Submit(slow_check).ok());
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (queue.Running() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
    ASSERT_EQ(queue.Running(), 2u);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.Submit(slow_check).ok());
    EXPECT_EQ(queue.Waiting(), 3u);
    absl::Status refused = queue.Submit(slow_check);
    EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_NE(refused.message().find("--max-waiting-archive-checks 3"), std::string::npos)
        << refused;
    release.Notify();
  }  // the destructor runs what waits, then joins
  EXPECT_EQ(done.load(), 5);
  EXPECT_EQ(running_at_most.load(), 2);
}

}  // namespace
}  // namespace guts::collector
