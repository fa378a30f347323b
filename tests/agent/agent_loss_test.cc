// The agent against a collector that goes away: nothing is lost, nothing is stored twice,
// order is kept, also when the agent is killed with SIGKILL during the outage.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/agent.h"
#include "agent/spool.h"
#include "gtest/gtest.h"
#include "tests/agent/agent_process.h"
#include "tests/agent/test_agent_service.h"

namespace guts::agent {
namespace {

using testing::CollectorStore;
using testing::LastStored;
using testing::NewestTakenMs;
using testing::Reap;
using testing::ScratchDir;
using testing::SpawnAgent;
using testing::TestAgentService;
using testing::WaitFor;

TEST(AgentLossTest, CollectorDownThenBackAndAgentKilledMeanwhileLosesNothing) {
  ScratchDir dir("agent-loss");
  TestAgentService collector;
  int port = collector.Start("127.0.77.1");
  ASSERT_GT(port, 0);

  pid_t agent = SpawnAgent({.collectors = absl::StrCat("127.0.77.1:", port),
                            .node_id = "loss-1",
                            .ip = "127.0.77.1",
                            .state_dir = dir.path()});
  ASSERT_TRUE(WaitFor([&] { return LastStored(collector.store()) >= 20; }, absl::Seconds(20)));

  // Outage: the collector vanishes; the agent spools. Mid-outage the agent is SIGKILLed and
  // restarted on the same state dir.
  collector.Stop();
  uint64_t stored_before_outage = LastStored(collector.store());
  int64_t outage_start_ms = absl::ToUnixMillis(absl::Now());
  absl::SleepFor(absl::Milliseconds(1500));
  kill(agent, SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(Reap(agent)));
  agent = SpawnAgent({.collectors = absl::StrCat("127.0.77.1:", port),
                      .node_id = "loss-1",
                      .ip = "127.0.77.1",
                      .state_dir = dir.path()});
  absl::SleepFor(absl::Milliseconds(1500));
  int64_t outage_end_ms = absl::ToUnixMillis(absl::Now());
  ASSERT_EQ(collector.Start("127.0.77.1", port), port);

  // Back: wait until snapshots taken after the outage are stored (the replay is done).
  ASSERT_TRUE(WaitFor([&] { return NewestTakenMs(collector.store()) > outage_end_ms + 500; },
                      absl::Seconds(30)));
  kill(agent, SIGTERM);
  EXPECT_TRUE(WIFEXITED(Reap(agent)));
  collector.Stop();

  CollectorStore& store = collector.store();
  EXPECT_TRUE(store.gaps.empty()) << "first skipped seq " << store.gaps.front();
  EXPECT_TRUE(store.conflicting_replays.empty())
      << "seq reused with other content: " << store.conflicting_replays.front();
  ASSERT_EQ(store.stored.size(), store.last_stored);
  int during_outage = 0;
  for (size_t i = 0; i < store.stored.size(); ++i) {
    const v1::Snapshot& snapshot = store.stored[i];
    ASSERT_EQ(snapshot.seq(), i + 1) << "hole at seq " << i + 1;
    EXPECT_EQ(snapshot.node_id(), "loss-1");
    EXPECT_EQ(snapshot.spool_dropped(), 0u);
    if (i > 0) {
      EXPECT_GT(snapshot.taken_unix_ms(), store.stored[i - 1].taken_unix_ms());
    }
    if (snapshot.taken_unix_ms() > outage_start_ms && snapshot.taken_unix_ms() < outage_end_ms) {
      ++during_outage;
    }
  }
  EXPECT_GT(LastStored(collector.store()), stored_before_outage);
  // 3 s of outage at 50 ms, minus the agent's restart (slow on a loaded CI machine): the first
  // agent alone takes ~30 before it is killed.
  EXPECT_GT(during_outage, 15);
  ASSERT_GE(store.hellos.size(), 2u);
  EXPECT_EQ(store.hellos.back().node_id(), "loss-1");
  // The restarted agent continues the seq (its spool), it does not start again at 1.
  EXPECT_GT(store.hellos.back().next_seq(), stored_before_outage);

  // Whatever the stopped agent had not sent yet is still in its spool, right after the acks.
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir.path() + "/spool", 64 << 20);
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_LE((*spool)->last_acked(), store.last_stored);
  absl::StatusOr<std::vector<SpoolRecord>> rest = (*spool)->ReadAfter(store.last_stored, 1 << 20);
  ASSERT_TRUE(rest.ok());
  uint64_t expect = store.last_stored + 1;
  for (const SpoolRecord& record : *rest) EXPECT_EQ(record.seq, expect++);
  EXPECT_EQ((*spool)->NextSeq(), expect);
}

// Fills a snapshot with a fixed amount of bytes, so a small spool overflows quickly.
class PaddingSource : public Source {
 public:
  std::string_view name() const override { return "system"; }
  absl::Status Collect(absl::Time, v1::Snapshot& part) override {
    part.mutable_log()->add_recent_errors(std::string(2000, 'p'));
    return absl::OkStatus();
  }
};

AgentConfig InProcessConfig(const std::string& state_dir, int collector_port) {
  AgentConfig config;
  config.collector = absl::StrCat("127.0.78.1:", collector_port);
  config.node_id = "inproc-1";
  config.state_dir = state_dir;
  config.interval = absl::Milliseconds(50);
  config.spool_max_bytes = 64 << 10;
  config.tls.insecure = true;
  config.labels = {{"zone", "a"}};
  return config;
}

std::vector<std::unique_ptr<Source>> Padding() {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<PaddingSource>());
  return sources;
}

TEST(AgentLossTest, RecentSnapshotsKeepTheLastOnesTakenAckedOrNot) {
  ScratchDir dir("agent-loss");
  absl::StatusOr<std::unique_ptr<Agent>> agent =
      Agent::Create(InProcessConfig(dir.path(), 1), Padding());
  ASSERT_TRUE(agent.ok()) << agent.status();
  const int taken = static_cast<int>(Agent::kRecentSnapshots) + 5;
  for (int i = 0; i < taken; ++i) ASSERT_TRUE((*agent)->TakeSnapshot().ok());
  // Everything up to the last one is acked: the bundle still shows the recent snapshots.
  ASSERT_TRUE((*agent)->spool().Ack(static_cast<uint64_t>(taken)).ok());

  std::vector<std::string> recent = (*agent)->RecentSnapshots();
  ASSERT_EQ(recent.size(), Agent::kRecentSnapshots);
  v1::Snapshot oldest, newest;
  ASSERT_TRUE(oldest.ParseFromString(recent.front()));
  ASSERT_TRUE(newest.ParseFromString(recent.back()));
  EXPECT_EQ(oldest.seq(), static_cast<uint64_t>(taken - Agent::kRecentSnapshots + 1));
  EXPECT_EQ(newest.seq(), static_cast<uint64_t>(taken));
}

TEST(AgentLossTest, FullSpoolDropsOldestAndTheNextSnapshotAndMetricsCountThem) {
  ScratchDir dir("agent-loss");
  // No collector at all: everything stays in the 64 KiB spool.
  absl::StatusOr<std::unique_ptr<Agent>> agent =
      Agent::Create(InProcessConfig(dir.path(), 1), Padding());
  ASSERT_TRUE(agent.ok()) << agent.status();
  for (int i = 0; i < 60; ++i) ASSERT_TRUE((*agent)->TakeSnapshot().ok());
  uint64_t dropped = (*agent)->spool().total_dropped();
  ASSERT_GT(dropped, 0u);
  EXPECT_LE((*agent)->spool().bytes(), 64u << 10);

  absl::StatusOr<std::vector<SpoolRecord>> records = (*agent)->spool().ReadAfter(0, 1000);
  ASSERT_TRUE(records.ok());
  uint64_t reported = 0;
  for (const SpoolRecord& record : *records) {
    v1::Snapshot snapshot;
    ASSERT_TRUE(snapshot.ParseFromString(record.payload));
    reported += snapshot.spool_dropped();
  }
  // Drops made by the last append are reported by the next snapshot, not yet taken.
  ASSERT_TRUE((*agent)->TakeSnapshot().ok());
  records = (*agent)->spool().ReadAfter(0, 1000);
  reported = 0;
  for (const SpoolRecord& record : *records) {
    v1::Snapshot snapshot;
    ASSERT_TRUE(snapshot.ParseFromString(record.payload));
    reported += snapshot.spool_dropped();
  }
  EXPECT_GT(reported, 0u);
  std::string metrics = (*agent)->metrics().Serialize();
  EXPECT_NE(metrics.find("guts_agent_spool_dropped_total"), std::string::npos);
  EXPECT_EQ(metrics.find("guts_agent_spool_dropped_total 0\n"), std::string::npos) << metrics;
}

// Answers every command at once and again later from its own thread, as the bundle room's
// handler will.
class RecordingHandler : public CommandHandler {
 public:
  void Handle(const v1::Command& command, std::function<void(v1::CommandStatus)> report) override {
    v1::CommandStatus accepted;
    accepted.set_command_id(command.id());
    accepted.set_state(v1::CommandStatus::ACCEPTED);
    report(accepted);
    worker_ = std::thread([id = command.id(), report] {
      absl::SleepFor(absl::Milliseconds(300));  // a long bundle: snapshots keep flowing
      v1::CommandStatus done;
      done.set_command_id(id);
      done.set_state(v1::CommandStatus::DONE);
      report(done);
    });
  }
  ~RecordingHandler() override {
    if (worker_.joinable()) worker_.join();
  }

 private:
  std::thread worker_;
};

TEST(AgentLossTest, CommandsReachTheHandlerAndStatusesComeBackWhileSnapshotsFlow) {
  ScratchDir dir("agent-loss");
  TestAgentService collector;
  int port = collector.Start("127.0.78.1");
  absl::StatusOr<std::unique_ptr<Agent>> agent =
      Agent::Create(InProcessConfig(dir.path(), port), Padding());
  ASSERT_TRUE(agent.ok()) << agent.status();
  auto handler = std::make_shared<RecordingHandler>();
  (*agent)->SetCommandHandler(handler);
  (*agent)->Start();
  ASSERT_TRUE(WaitFor([&] { return (*agent)->connected(); }, absl::Seconds(10)));

  v1::Command command;
  command.set_id("bundle-1");
  command.mutable_bundle()->set_bundle_id("bundle-1");
  ASSERT_TRUE(collector.SendCommand(command));
  uint64_t stored_at_command = 0;
  {
    std::lock_guard<std::mutex> lock(collector.store().mu);
    stored_at_command = collector.store().last_stored;
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(collector.store().mu);
        return collector.store().statuses.size() >= 2;
      },
      absl::Seconds(10)));
  (*agent)->Stop();
  collector.Stop();
  CollectorStore& store = collector.store();
  EXPECT_EQ(store.statuses[0].command_id(), "bundle-1");
  EXPECT_EQ(store.statuses[0].state(), v1::CommandStatus::ACCEPTED);
  EXPECT_EQ(store.statuses[1].state(), v1::CommandStatus::DONE);
  EXPECT_GT(store.last_stored, stored_at_command);  // snapshots kept coming meanwhile
  ASSERT_FALSE(store.hellos.empty());
  const v1::Hello& hello = store.hellos[0];
  EXPECT_EQ(hello.node_id(), "inproc-1");
  EXPECT_EQ(hello.labels().at("zone"), "a");
  EXPECT_EQ(hello.interval_ms(), 50u);
  EXPECT_EQ(hello.last_acked_seq(), 0u);
  EXPECT_GE(hello.next_seq(), 1u);
}

TEST(AgentLossTest, WithoutAHandlerCommandsAreRejected) {
  ScratchDir dir("agent-loss");
  TestAgentService collector;
  int port = collector.Start("127.0.79.1");
  AgentConfig config = InProcessConfig(dir.path(), port);
  config.collector = absl::StrCat("127.0.79.1:", port);
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(config, Padding());
  ASSERT_TRUE(agent.ok());
  (*agent)->Start();
  ASSERT_TRUE(WaitFor([&] { return (*agent)->connected(); }, absl::Seconds(10)));
  v1::Command command;
  command.set_id("c-9");
  ASSERT_TRUE(collector.SendCommand(command));
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(collector.store().mu);
        return !collector.store().statuses.empty();
      },
      absl::Seconds(10)));
  (*agent)->Stop();
  collector.Stop();
  EXPECT_EQ(collector.store().statuses[0].state(), v1::CommandStatus::REJECTED);
}

}  // namespace
}  // namespace guts::agent
