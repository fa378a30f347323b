// The per-agent snapshot rate limit with the real binaries: a real guts-agent (watching a node
// that is not there, so every snapshot holds only source errors) against a real guts-collector
// whose limit is low. A spool replay after a collector outage passes whole; an agent that
// snapshots five times faster than the limit is slowed, the collector stays up, and nothing of
// the agent's is lost (what is stored is seq 1..k without a gap; the rest waits in its spool).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using guts::testing::BinaryPath;
using guts::testing::ChildProcess;

// This file's loopback range; other tests use other ones.
constexpr char kIp[] = "127.0.78.1";

struct Collector {
  std::unique_ptr<ChildProcess> process;
  std::string grpc, http, log;
};

// `port` 0: any free one. Limit: 20 snapshots/s per agent, burst 10.
Collector StartCollector(const std::string& dir, int run, int port) {
  Collector c;
  std::string ready = absl::StrCat(dir, "/ready-", run);
  c.log = absl::StrCat(dir, "/collector-", run, ".log");
  c.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{BinaryPath("guts-collector"), "--grpc-addr",
                               absl::StrCat(kIp, ":", port), "--http-addr", absl::StrCat(kIp, ":0"),
                               "--data-dir", dir + "/db", "--insecure", "--ready-file", ready,
                               "--log-level", "info", "--max-snapshots-per-second-per-agent", "20",
                               "--max-snapshot-burst-per-agent", "10"},
      c.log);
  EXPECT_TRUE(c.process->ok()) << c.process->error();
  absl::StatusOr<std::string> text = guts::testing::WaitForReadyFile(ready, absl::Seconds(20));
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return c;
  nlohmann::json j = nlohmann::json::parse(*text);
  c.grpc = j["grpc"].get<std::string>();
  c.http = j["http"].get<std::string>();
  return c;
}

std::unique_ptr<ChildProcess> StartAgent(const std::string& dir, const std::string& collector,
                                         const std::string& interval) {
  auto agent = std::make_unique<ChildProcess>(std::vector<std::string>{BinaryPath("guts-agent"),
                                                                       "--collector",
                                                                       collector,
                                                                       "--node-id",
                                                                       "rate-1",
                                                                       "--node-api",
                                                                       "http://127.0.78.2:1",
                                                                       "--node-p2p-addr",
                                                                       "127.0.78.2:9000",
                                                                       "--node-data-dir",
                                                                       dir,
                                                                       "--state-dir",
                                                                       dir + "/agent",
                                                                       "--interval",
                                                                       interval,
                                                                       "--http-addr",
                                                                       absl::StrCat(kIp, ":0"),
                                                                       "--log-level",
                                                                       "error",
                                                                       "--insecure"},
                                              dir + "/agent.log");
  EXPECT_TRUE(agent->ok()) << agent->error();
  return agent;
}

// The seqs of rate-1 the collector has stored, in order.
std::vector<uint64_t> Stored(const Collector& c) {
  auto fleet =
      v1::FleetService::NewStub(grpc::CreateChannel(c.grpc, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::NodeHistoryRequest req;
  req.set_node_id("rate-1");
  req.set_limit(100000);
  auto reader = fleet->GetNodeHistory(&ctx, req);
  std::vector<uint64_t> seqs;
  v1::HistoryPoint p;
  while (reader->Read(&p)) seqs.push_back(p.seq());
  reader->Finish();
  return seqs;
}

// Waits until at least `n` seqs are stored; returns them.
std::vector<uint64_t> AwaitStored(const Collector& c, size_t n, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::vector<uint64_t> seqs = Stored(c);
  while (seqs.size() < n && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    seqs = Stored(c);
  }
  return seqs;
}

void ExpectNoGap(const std::vector<uint64_t>& seqs) {
  for (size_t i = 0; i < seqs.size(); ++i) {
    ASSERT_EQ(seqs[i], i + 1) << "the collector lost or skipped a snapshot";
  }
}

std::string Metrics(const Collector& c) {
  httplib::Client http("http://" + c.http);
  auto r = http.Get("/metrics");
  return r ? r->body : "";
}

int CountLines(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += absl::StrContains(line, needle);
  return n;
}

TEST(AgentRateE2eTest, SpoolReplayAfterACollectorOutagePassesWholeUnderTheLimit) {
  std::string dir = guts::testing::FreshTempDir("agent-rate-replay");
  Collector first = StartCollector(dir, 1, 0);
  ASSERT_FALSE(first.grpc.empty());
  // 10 snapshots a second: half the limit, but the burst is only 10.
  auto agent = StartAgent(dir, first.grpc, "100ms");
  std::vector<uint64_t> before = AwaitStored(first, 5, absl::Seconds(20));
  ASSERT_GE(before.size(), 5u);
  first.process->Stop(SIGKILL);

  // Five seconds of outage: the agent spools about 50, five bursts' worth, and replays them
  // at once when the collector is back on the same address.
  absl::SleepFor(absl::Seconds(5));
  absl::StatusOr<guts::HostPort> first_addr = guts::ParseHostPort(first.grpc);
  ASSERT_TRUE(first_addr.ok()) << first_addr.status();
  Collector second = StartCollector(dir, 2, first_addr->port);
  ASSERT_FALSE(second.grpc.empty());
  std::vector<uint64_t> after = AwaitStored(second, before.size() + 45, absl::Seconds(30));
  ASSERT_GE(after.size(), before.size() + 45);
  ExpectNoGap(after);
  EXPECT_FALSE(absl::StrContains(Metrics(second), "reason=\"rate_limited\""))
      << "the replay was refused: " << Metrics(second);
  EXPECT_EQ(CountLines(second.log, "faster than its limit"), 0);
  agent->Stop();
  second.process->Stop();
}

TEST(AgentRateE2eTest, AgentFasterThanTheLimitIsSlowedNotLostAndTheLogStaysShort) {
  std::string dir = guts::testing::FreshTempDir("agent-rate-flood");
  Collector collector = StartCollector(dir, 1, 0);
  ASSERT_FALSE(collector.grpc.empty());
  // 100 snapshots a second against a limit of 20.
  auto agent = StartAgent(dir, collector.grpc, "10ms");
  absl::SleepFor(absl::Seconds(4));
  std::string metrics = Metrics(collector);
  EXPECT_TRUE(absl::StrContains(metrics, "reason=\"rate_limited\"")) << metrics;
  std::vector<uint64_t> stored = Stored(collector);
  ExpectNoGap(stored);
  // 20/s over about 4 s plus the burst and reconnect credit; 100/s would be 400.
  EXPECT_GT(stored.size(), 20u);
  EXPECT_LT(stored.size(), 250u);
  // One refusal line per node per 10 s, however many refusals.
  EXPECT_EQ(CountLines(collector.log, "faster than its limit"), 1);
  EXPECT_TRUE(collector.process->Running());
  agent->Stop();
  collector.process->Stop();
}

}  // namespace
}  // namespace guts::collector
