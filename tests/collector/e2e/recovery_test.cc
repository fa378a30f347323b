// kill -9 of the real guts-collector during heavy ingest loses no acknowledged snapshot: every
// seq a simulated agent saw acked is in the store after a restart.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "collector/store/store.h"
#include "guts/diag/v1/agent.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using guts::testing::BinaryPath;
using guts::testing::ChildProcess;

constexpr int kAgents = 6;

struct Running {
  std::unique_ptr<ChildProcess> process;
  std::string grpc;
};

Running StartCollector(const std::string& dir, int run) {
  std::string ready = absl::StrCat(dir, "/ready-", run);
  Running r;
  r.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{BinaryPath("guts-collector"), "--grpc-addr", "127.0.0.1:0",
                               "--http-addr", "127.0.0.1:0", "--data-dir", dir + "/db",
                               "--insecure", "--ready-file", ready, "--log-level", "warn",
                               // The agents here flood on purpose, to load the store.
                               "--max-snapshots-per-second-per-agent", "0"},
      dir + "/collector.log");
  EXPECT_TRUE(r.process->ok()) << r.process->error();
  absl::StatusOr<std::string> text = guts::testing::WaitForReadyFile(ready, absl::Seconds(20));
  EXPECT_TRUE(text.ok()) << text.status();
  if (text.ok()) r.grpc = nlohmann::json::parse(*text)["grpc"].get<std::string>();
  return r;
}

// One simulated agent: sends seq 1, 2, ... as fast as the stream takes them and remembers the
// highest cumulative ack, until the stream breaks.
void RunAgent(const std::string& addr, const std::string& node, std::atomic<uint64_t>* acked) {
  auto stub =
      v1::AgentService::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  auto stream = stub->Connect(&ctx);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_node_id(node);
  if (!stream->Write(hello)) return;
  std::thread reader([&] {
    v1::CollectorMessage m;
    while (stream->Read(&m)) {
      if (m.has_ack()) acked->store(std::max(acked->load(), m.ack().seq()));
    }
  });
  v1::AgentMessage m;
  v1::Snapshot* s = m.mutable_snapshot();
  s->set_node_id(node);
  s->set_interval_ms(1000);
  for (int p = 0; p < 20; ++p) {
    v1::PeerView* peer = s->add_peers();
    peer->set_remote_addr(absl::StrCat("127.0.0.", 11 + p, ":9000"));
    peer->set_tcp_state("ESTABLISHED");
  }
  for (uint64_t seq = 1;; ++seq) {
    s->set_seq(seq);
    s->set_taken_unix_ms(absl::ToUnixMillis(absl::Now()));
    s->mutable_consensus()->set_finalized_height(seq);
    if (!stream->Write(m)) break;
  }
  reader.join();
  stream->Finish();
}

TEST(RecoveryTest, KillNineDuringHeavyIngestLosesNoAcknowledgedSnapshot) {
  std::string dir = guts::testing::FreshTempDir("collector-recovery");
  Running first = StartCollector(dir, 1);
  ASSERT_FALSE(first.grpc.empty());

  std::array<std::atomic<uint64_t>, kAgents> acked{};
  std::vector<std::thread> agents;
  for (int i = 0; i < kAgents; ++i) {
    agents.emplace_back(RunAgent, first.grpc, absl::StrCat("a", i), &acked[i]);
  }
  // Let acks flow, then kill while the agents are still sending as fast as they can.
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  auto total = [&] {
    uint64_t t = 0;
    for (auto& a : acked) t += a.load();
    return t;
  };
  while (total() < 3000 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  first.process->Stop(SIGKILL);
  for (auto& t : agents) t.join();
  ASSERT_GE(total(), 3000u) << "too few acks before the kill to prove anything";

  // After the restart, every agent's HelloAck covers what it saw acked.
  Running second = StartCollector(dir, 2);
  ASSERT_FALSE(second.grpc.empty());
  auto stub = v1::AgentService::NewStub(
      grpc::CreateChannel(second.grpc, grpc::InsecureChannelCredentials()));
  for (int i = 0; i < kAgents; ++i) {
    grpc::ClientContext ctx;
    auto stream = stub->Connect(&ctx);
    v1::AgentMessage hello;
    hello.mutable_hello()->set_node_id(absl::StrCat("a", i));
    ASSERT_TRUE(stream->Write(hello));
    v1::CollectorMessage m;
    ASSERT_TRUE(stream->Read(&m));
    EXPECT_GE(m.hello_ack().last_stored_seq(), acked[i].load()) << "agent a" << i;
    ctx.TryCancel();
    stream->Finish();
  }
  ASSERT_EQ(second.process->Stop(SIGTERM), 0);

  // The audit: every acked seq of every agent is in the store.
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir + "/db"});
  ASSERT_TRUE(store.ok()) << store.status();
  for (int i = 0; i < kAgents; ++i) {
    std::set<uint64_t> seqs;
    ASSERT_TRUE((*store)
                    ->History(absl::StrCat("a", i), absl::InfinitePast(), absl::InfiniteFuture(),
                              [&](const v1::Snapshot& s) {
                                seqs.insert(s.seq());
                                return true;
                              })
                    .ok());
    uint64_t missing = 0;
    for (uint64_t seq = 1; seq <= acked[i].load(); ++seq) missing += seqs.count(seq) == 0;
    EXPECT_EQ(missing, 0u) << "agent a" << i << " acked up to " << acked[i].load();
  }
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace guts::collector
