#include "agent/source_runner.h"

#include <atomic>
#include <thread>

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

// Takes `sleep` and reports it; named "p2p_probe".
class SlowSource : public Source {
 public:
  explicit SlowSource(absl::Duration sleep) : sleep_(sleep) {}
  std::string_view name() const override { return "p2p_probe"; }
  absl::Status Collect(absl::Time, v1::Snapshot& part) override {
    absl::SleepFor(sleep_);
    part.add_probes()->set_addr("127.0.0.12:9000");
    return absl::OkStatus();
  }

 private:
  absl::Duration sleep_;
};

TEST(SourceRunnerTest, ALateSourceOfAnEarlierRunDoesNotEndTheNextRunsWait) {
  // RunAll waits once for every source it started. A source that hung past an earlier run's
  // deadline and returns during this run must not count as one of this run's: the slow source
  // is still waited for, not cut off.
  absl::Notification release;
  auto hanging = std::make_unique<HangingSource>(&release);
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::move(hanging));
  sources.push_back(std::make_unique<SlowSource>(absl::Milliseconds(600)));
  SourceRunner runner(std::move(sources));
  absl::Cleanup release_on_failure = [&] {
    if (!release.HasBeenNotified()) release.Notify();
  };
  v1::Snapshot first;
  runner.RunAll(absl::Now() + absl::Seconds(1), first);
  ASSERT_EQ(first.probes_size(), 1);  // the slow source made it in the first run
  ASSERT_EQ(first.source_errors_size(), 1);
  EXPECT_TRUE(first.source_errors(0).timed_out());

  v1::Snapshot second;
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(100));  // while the slow source runs
    release.Notify();
  });
  absl::Time start = absl::Now();
  std::vector<SourceRun> runs = runner.RunAll(start + absl::Seconds(10), second);
  releaser.join();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(590));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_TRUE(runs[1].ok) << "the slow source was cut off";
  EXPECT_EQ(second.probes_size(), 1);
  // The hanging source was not started in this run (still busy at its start): reported as
  // still running, its late result discarded.
  EXPECT_FALSE(second.has_log());
}

TEST(SourceRunnerTest, ReturnsAsSoonAsEverySourceFinished) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<FixedSource>());
  sources.push_back(std::make_unique<SlowSource>(absl::Milliseconds(50)));
  SourceRunner runner(std::move(sources));
  v1::Snapshot snapshot;
  absl::Time start = absl::Now();
  std::vector<SourceRun> runs = runner.RunAll(start + absl::Seconds(30), snapshot);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // not the deadline
  EXPECT_TRUE(runs[0].ok);
  EXPECT_TRUE(runs[1].ok);
  EXPECT_EQ(snapshot.system().cpu_count(), 4u);
  EXPECT_EQ(snapshot.probes_size(), 1);
  EXPECT_EQ(snapshot.source_errors_size(), 0);
}

}  // namespace
}  // namespace guts::agent
