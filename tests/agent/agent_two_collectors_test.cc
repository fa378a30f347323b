// The agent streaming to two collectors: one collector hung or down never slows the stream to
// the other, and once it is back it gets everything it missed, in order (seq audit on both
// stores). Commands from either collector are answered on the stream that asked.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/agent.h"
#include "agent/spool.h"
#include "gtest/gtest.h"
#include "tests/agent/agent_process.h"
#include "tests/agent/test_agent_service.h"

namespace guts::agent {
namespace {

namespace v1 = ::guts::diag::v1;
using testing::CollectorStore;
using testing::LastStored;
using testing::NewestTakenMs;
using testing::Reap;
using testing::ScratchDir;
using testing::SpawnAgent;
using testing::TestAgentService;
using testing::WaitFor;

constexpr char kIp[] = "127.0.81.1";

// A collector that hangs: the kernel completes the TCP handshake (listen backlog) but nothing
// ever answers, as with a collector process that is stopped (SIGSTOP) or wedged.
class HungCollector {
 public:
  explicit HungCollector(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, kIp, &addr.sin_addr);
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd_, 16) == 0;
  }
  ~HungCollector() { close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

// Every seq from 1 to the last stored, once, in order, none reused with other content.
void ExpectCompleteInOrder(CollectorStore& store, const std::string& who) {
  std::lock_guard<std::mutex> lock(store.mu);
  EXPECT_TRUE(store.gaps.empty()) << who << ": first skipped seq " << store.gaps.front();
  EXPECT_TRUE(store.conflicting_replays.empty()) << who << ": seq reused";
  ASSERT_EQ(store.stored.size(), store.last_stored) << who;
  for (size_t i = 0; i < store.stored.size(); ++i) {
    ASSERT_EQ(store.stored[i].seq(), i + 1) << who << ": hole at seq " << i + 1;
    EXPECT_EQ(store.stored[i].node_id(), "two-1");
    EXPECT_EQ(store.stored[i].spool_dropped(), 0u) << who;
  }
}

// Snapshots `store` holds that were taken in [from_ms, to_ms).
int TakenBetween(CollectorStore& store, int64_t from_ms, int64_t to_ms) {
  std::lock_guard<std::mutex> lock(store.mu);
  int n = 0;
  for (const v1::Snapshot& s : store.stored) {
    if (s.taken_unix_ms() >= from_ms && s.taken_unix_ms() < to_ms) ++n;
  }
  return n;
}

TEST(AgentTwoCollectorsTest, HungThenDownCollectorNeverSlowsTheOtherAndGetsEverythingBack) {
  ScratchDir dir("agent-two");
  TestAgentService a, b;
  int port_a = a.Start(kIp);
  int port_b = b.Start(kIp);
  ASSERT_GT(port_a, 0);
  ASSERT_GT(port_b, 0);
  pid_t agent = SpawnAgent({.collectors = absl::StrCat(kIp, ":", port_a, ",", kIp, ":", port_b),
                            .node_id = "two-1",
                            .ip = kIp,
                            .state_dir = dir.path(),
                            .extra_args = {"--reconnect-max-delay", "1s"}});
  ASSERT_TRUE(WaitFor([&] { return LastStored(a.store()) >= 10 && LastStored(b.store()) >= 10; },
                      absl::Seconds(20)));

  // B goes down (connection refused), then hangs (accepts TCP, never answers) on the same port.
  b.Stop();
  uint64_t b_before = LastStored(b.store());
  int64_t outage_start_ms = absl::ToUnixMillis(absl::Now());
  absl::SleepFor(absl::Milliseconds(1500));
  {
    HungCollector hung(port_b);
    ASSERT_TRUE(hung.ok());
    absl::SleepFor(absl::Milliseconds(2500));
    // A kept up: it holds what was taken a moment ago.
    EXPECT_TRUE(
        WaitFor([&] { return NewestTakenMs(a.store()) > absl::ToUnixMillis(absl::Now()) - 1000; },
                absl::Seconds(2)))
        << "the stream to A lags while B hangs";
  }
  int64_t outage_end_ms = absl::ToUnixMillis(absl::Now());
  EXPECT_EQ(LastStored(b.store()), b_before);
  // At 50 ms, 4 s of outage is 80 snapshots; A must hold most of them (the agent alone, no
  // collector in the way, keeps that rate on a loaded CI machine), not a trickle.
  int a_during = TakenBetween(a.store(), outage_start_ms, outage_end_ms);
  EXPECT_GT(a_during, 50) << "A received only " << a_during << " snapshots during B's outage";

  // B back on its port: it receives everything it missed, in order, and then the live stream.
  ASSERT_EQ(b.Start(kIp, port_b), port_b);
  ASSERT_TRUE(
      WaitFor([&] { return NewestTakenMs(b.store()) > outage_end_ms + 500; }, absl::Seconds(30)));
  kill(agent, SIGTERM);
  EXPECT_TRUE(WIFEXITED(Reap(agent)));
  a.Stop();
  b.Stop();

  ExpectCompleteInOrder(a.store(), "A");
  ExpectCompleteInOrder(b.store(), "B");
  // B got exactly what A got for the outage (counted now: A may have received the last one
  // taken before the end of the outage after a_during was counted).
  EXPECT_EQ(TakenBetween(b.store(), outage_start_ms, outage_end_ms),
            TakenBetween(a.store(), outage_start_ms, outage_end_ms));
  EXPECT_GE(b.store().hellos.size(), 2u);

  // Both cursors are persisted apart from each other: the spool holds nothing either collector
  // lacks, and nothing both have (beyond one segment).
  absl::StatusOr<std::unique_ptr<Spool>> spool =
      Spool::Open(dir.path() + "/spool", 64 << 20,
                  {absl::StrCat(kIp, ":", port_a), absl::StrCat(kIp, ":", port_b)});
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_LE((*spool)->last_acked(0), a.store().last_stored);
  EXPECT_LE((*spool)->last_acked(1), b.store().last_stored);
  EXPECT_EQ((*spool)->dropped_for(0), 0u);
  EXPECT_EQ((*spool)->dropped_for(1), 0u);
}

// Remembers which collector each command came from, and answers DONE.
class RoutingHandler : public CommandHandler {
 public:
  void Handle(const v1::Command& command, std::function<void(v1::CommandStatus)> report) override {
    HandleFrom("", command, std::move(report));
  }
  void HandleFrom(const std::string& collector, const v1::Command& command,
                  std::function<void(v1::CommandStatus)> report) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      from[command.id()] = collector;
    }
    v1::CommandStatus done;
    done.set_command_id(command.id());
    done.set_state(v1::CommandStatus::DONE);
    report(done);
  }
  std::mutex mu;
  std::map<std::string, std::string> from;
};

TEST(AgentTwoCollectorsTest, CommandsFromEitherCollectorAreAnsweredToTheOneThatAsked) {
  ScratchDir dir("agent-two");
  TestAgentService a, b;
  int port_a = a.Start("127.0.81.3");
  int port_b = b.Start("127.0.81.4");
  AgentConfig config;
  config.collectors = {absl::StrCat("127.0.81.3:", port_a), absl::StrCat("127.0.81.4:", port_b)};
  config.collector = config.collectors[0];
  config.node_id = "two-2";
  config.state_dir = dir.path();
  config.interval = absl::Milliseconds(50);
  config.tls.insecure = true;
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(config, {});
  ASSERT_TRUE(agent.ok()) << agent.status();
  auto handler = std::make_shared<RoutingHandler>();
  (*agent)->SetCommandHandler(handler);
  (*agent)->Start();
  ASSERT_TRUE(WaitFor([&] { return LastStored(a.store()) > 0 && LastStored(b.store()) > 0; },
                      absl::Seconds(10)));
  v1::Command from_b;
  from_b.set_id("from-b");
  ASSERT_TRUE(b.SendCommand(from_b));
  v1::Command from_a;
  from_a.set_id("from-a");
  ASSERT_TRUE(a.SendCommand(from_a));
  auto statuses = [](TestAgentService& c) {
    std::lock_guard<std::mutex> lock(c.store().mu);
    std::vector<std::string> ids;
    for (const v1::CommandStatus& s : c.store().statuses) ids.push_back(s.command_id());
    return ids;
  };
  ASSERT_TRUE(
      WaitFor([&] { return !statuses(a).empty() && !statuses(b).empty(); }, absl::Seconds(10)));
  (*agent)->Stop();
  EXPECT_EQ(statuses(a), std::vector<std::string>{"from-a"});
  EXPECT_EQ(statuses(b), std::vector<std::string>{"from-b"});
  std::lock_guard<std::mutex> lock(handler->mu);
  EXPECT_EQ(handler->from["from-a"], config.collectors[0]);
  EXPECT_EQ(handler->from["from-b"], config.collectors[1]);
  std::string metrics = (*agent)->metrics().Serialize();
  EXPECT_NE(metrics.find("guts_agent_collector_last_acked_seq{collector=\"" + config.collectors[1] +
                         "\"}"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace guts::agent
