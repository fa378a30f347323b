#include "agent/source_runner.h"

#include <atomic>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace guts::agent {
namespace {

class FixedSource : public Source {
 public:
  std::string_view name() const override { return "system"; }
  absl::Status Collect(absl::Time, v1::Snapshot& part) override {
    part.mutable_system()->set_cpu_count(4);
    return absl::OkStatus();
  }
};

class FailingSource : public Source {
 public:
  std::string_view name() const override { return "node_api"; }
  absl::Status Collect(absl::Time, v1::Snapshot& part) override {
    part.mutable_health()->set_reachable(false);
    return absl::UnavailableError("GET http://127.0.0.1:8080/health: connection refused");
  }
};

// Hangs until released, ignoring its deadline, like a read on a stuck NFS mount.
class HangingSource : public Source {
 public:
  explicit HangingSource(absl::Notification* release) : release_(release) {}
  std::string_view name() const override { return "node_log"; }
  absl::Status Collect(absl::Time, v1::Snapshot& part) override {
    ++runs;
    release_->WaitForNotification();
    part.mutable_log()->set_finalized_height(99);
    return absl::OkStatus();
  }
  std::atomic<int> runs = 0;

 private:
  absl::Notification* release_;
};

TEST(SourceRunnerTest, FailingSourceKeepsItsPartialFactsAndIsReportedByName) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<FixedSource>());
  sources.push_back(std::make_unique<FailingSource>());
  SourceRunner runner(std::move(sources));
  v1::Snapshot snapshot;
  std::vector<SourceRun> runs = runner.RunAll(absl::Now() + absl::Seconds(5), snapshot);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_TRUE(runs[0].ok);
  EXPECT_FALSE(runs[1].ok);
  EXPECT_EQ(snapshot.system().cpu_count(), 4u);
  EXPECT_TRUE(snapshot.has_health());
  ASSERT_EQ(snapshot.source_errors_size(), 1);
  EXPECT_EQ(snapshot.source_errors(0).source(), "node_api");
  EXPECT_FALSE(snapshot.source_errors(0).timed_out());
  EXPECT_NE(snapshot.source_errors(0).message().find("connection refused"), std::string::npos);
}

TEST(SourceRunnerTest, HangingSourceDoesNotDelayTheSnapshotAndIsNotStartedTwice) {
  absl::Notification release;
  auto hanging = std::make_unique<HangingSource>(&release);
  HangingSource* hang = hanging.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<FixedSource>());
  sources.push_back(std::move(hanging));
  SourceRunner runner(std::move(sources));
  // A failed assertion below must not leave the source hanging: ~SourceRunner would wait for it.
  absl::Cleanup release_on_failure = [&] {
    if (!release.HasBeenNotified()) release.Notify();
  };

  for (int interval = 0; interval < 3; ++interval) {
    v1::Snapshot snapshot;
    absl::Time start = absl::Now();
    // Long enough for the fixed source's thread to be scheduled on a loaded machine (100 ms
    // was not, at load 15 on two cores).
    runner.RunAll(start + absl::Milliseconds(1000), snapshot);
    // The source hangs for as long as the test wants (it is released below, after 3
    // intervals); returning at all proves the snapshot does not wait for it.
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
    EXPECT_EQ(snapshot.system().cpu_count(), 4u);
    EXPECT_FALSE(snapshot.has_log());
    ASSERT_EQ(snapshot.source_errors_size(), 1);
    EXPECT_EQ(snapshot.source_errors(0).source(), "node_log");
    EXPECT_TRUE(snapshot.source_errors(0).timed_out());
    EXPECT_GE(snapshot.source_errors(0).duration_ms(), 990u);
    if (interval > 0) {
      EXPECT_NE(snapshot.source_errors(0).message().find("still running"), std::string::npos);
    }
  }
  EXPECT_EQ(hang->runs.load(), 1);  // one thread per source, never a pile of stuck threads

  release.Notify();
  // Once it returns it runs again normally; its late result was discarded, not merged.
  v1::Snapshot snapshot;
  for (int i = 0; i < 250 && !snapshot.has_log(); ++i) {
    absl::SleepFor(absl::Milliseconds(20));  // the released thread needs a moment to finish
    snapshot.Clear();
    runner.RunAll(absl::Now() + absl::Milliseconds(200), snapshot);
  }
  EXPECT_EQ(snapshot.log().finalized_height(), 99u);
  EXPECT_EQ(hang->runs.load(), 2);
}

}  // namespace
}  // namespace guts::agent
