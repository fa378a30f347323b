// The agent with all its real sources against guts-sim, in both consensus modes: snapshots
// carry height, view, validators, per-peer last-heard ages, probes and system figures.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/agent.h"
#include "agent/sources/registry.h"
#include "gtest/gtest.h"
#include "tests/agent/test_collector.h"

extern char** environ;

namespace guts::agent {
namespace {

using testing::TestCollector;
using testing::WaitFor;

struct SimMode {
  const char* mode;
  const char* base_ip;  // nodes at base + 1..4; distinct per mode so the tests run in parallel
  const char* prefix;   // "127.0.194."
};

void PrintTo(const SimMode& m, std::ostream* os) { *os << m.mode; }

class AgentSimTest : public ::testing::TestWithParam<SimMode> {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/guts-agent-sim-XXXXXX";
    dir_ = mkdtemp(dir);
    std::string prefix = GetParam().prefix;
    std::vector<std::string> args = {GUTS_AGENT_SIM_BINARY,
                                     "run",
                                     "--nodes",
                                     "4",
                                     "--base-ip",
                                     GetParam().base_ip,
                                     "--control-addr",
                                     prefix + "100:0",
                                     "--state-dir",
                                     dir_ + "/sim",
                                     "--mode",
                                     GetParam().mode,
                                     "--block-time",
                                     "200ms",
                                     "--ready-file",
                                     dir_ + "/ready.json"};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&sim_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    ASSERT_TRUE(
        WaitFor([&] { return std::filesystem::exists(dir_ + "/ready.json"); }, absl::Seconds(20)));
  }
  void TearDown() override {
    if (sim_ > 0) {
      kill(sim_, SIGTERM);
      waitpid(sim_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  pid_t sim_ = -1;
};

TEST_P(AgentSimTest, SnapshotsCarryHeightValidatorsPeerAgesAndSystemFigures) {
  std::string prefix = GetParam().prefix;
  bool simplex = std::string(GetParam().mode) == "simplex";
  TestCollector collector;
  int port = collector.Start(prefix + "200");
  AgentConfig config;
  config.collector = absl::StrCat(prefix, "200:", port);
  config.node_id = "v1";
  config.node_api = absl::StrCat("http://", prefix, "1:8080");
  config.node_p2p_addr = absl::StrCat(prefix, "1:9000");
  config.node_data_dir = dir_ + "/sim/v1/data";
  config.node_log_file = dir_ + "/sim/v1/node.log";
  config.state_dir = dir_ + "/agent";
  config.interval = absl::Milliseconds(200);
  config.tls.insecure = true;
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(config, BuildSources(config));
  ASSERT_TRUE(agent.ok()) << agent.status();
  (*agent)->Start();

  // Wait for a snapshot where the network has formed and finalized a few blocks.
  v1::Snapshot seen;
  bool formed = WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(collector.store().mu);
        if (collector.store().stored.empty()) return false;
        seen = collector.store().stored.back();
        int reachable = 0;
        for (const v1::ProbeResult& p : seen.probes()) reachable += p.reachable();
        return seen.consensus().finalized_height() >= 3 && seen.peers_size() >= 6 && reachable == 3;
      },
      absl::Seconds(30));
  (*agent)->Stop();
  collector.Stop();
  ASSERT_TRUE(formed) << seen.DebugString();

  EXPECT_TRUE(seen.health().reachable());
  EXPECT_EQ(seen.health().status(), "up");
  EXPECT_EQ(seen.consensus().api_enabled(), !simplex);
  EXPECT_EQ(seen.consensus().height_source(),
            simplex ? v1::HEIGHT_SOURCE_LOG : v1::HEIGHT_SOURCE_API);
  if (!simplex) {
    EXPECT_GT(seen.consensus().view(), 0u);
  }
  EXPECT_GT(seen.log().finalized_height(), 0u);
  // Simplex mode: the API lists no validators; probes then use the addresses the node dialled.
  EXPECT_EQ(seen.validators().validators_size(), simplex ? 0 : 4);
  int inbound = 0, outbound = 0;
  for (const v1::PeerView& peer : seen.peers()) {
    EXPECT_TRUE(peer.remote_addr().starts_with(prefix)) << peer.remote_addr();
    EXPECT_EQ(peer.tcp_state(), "ESTABLISHED");
    inbound += peer.direction() == v1::PEER_DIRECTION_INBOUND;
    outbound += peer.direction() == v1::PEER_DIRECTION_OUTBOUND;
    // A healthy mesh talks: nobody has been silent for long.
    EXPECT_LT(std::min(peer.last_data_recv_age_ms(), peer.last_data_sent_age_ms()), 10000u);
  }
  EXPECT_EQ(inbound, 3);
  EXPECT_EQ(outbound, 3);
  EXPECT_GT(seen.system().cpu_count(), 0u);
  EXPECT_GT(seen.system().disk_total_bytes(), 0u);
  EXPECT_EQ(seen.system().data_dir(), config.node_data_dir);
  EXPECT_GT(seen.metrics().http_requests_total(), 0);
  for (const v1::SourceError& error : seen.source_errors()) {
    ADD_FAILURE() << error.source() << ": " << error.message();
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, AgentSimTest,
                         ::testing::Values(SimMode{"simulation", "127.0.194.0", "127.0.194."},
                                           SimMode{"simplex", "127.0.195.0", "127.0.195."}));

}  // namespace
}  // namespace guts::agent
