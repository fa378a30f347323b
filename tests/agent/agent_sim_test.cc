// The agent with all its real sources against guts-sim, in both consensus modes: snapshots
// carry height, view, validators, per-peer last-heard ages, probes and system figures.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/agent.h"
#include "agent/sources/registry.h"
#include "gtest/gtest.h"
#include "tests/agent/test_agent_service.h"

extern char** environ;

namespace guts::agent {
namespace {

using testing::TestAgentService;
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
  TestAgentService collector;
  int port = collector.Start(prefix + "200");
  AgentConfig config;
  config.collector = absl::StrCat(prefix, "200:", port);
  config.node_id = "v1";
  config.node_api = absl::StrCat("http://", prefix, "1:8080");
  config.node_p2p_addr = absl::StrCat(prefix, "1:9000");
  config.node_data_dir = dir_ + "/sim/v1/data";
  config.node_log_file = dir_ + "/sim/v1/node.log";
  config.node_config = dir_ + "/sim/v1/config.yaml";
  config.node_config_explicit = true;
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
        // Simplex: v1 leads one view in four; wait until it has proposed once.
        bool proposed = !simplex || seen.consensus().proposed_view() > 0;
        // Every source finished: on a loaded machine one may miss a 160 ms deadline now and
        // then (node_api's 7 GETs), and the checks below are about a complete snapshot.
        return seen.consensus().finalized_height() >= 3 && seen.peers_size() >= 6 &&
               reachable == 3 && proposed && seen.source_errors_size() == 0;
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
  EXPECT_EQ(seen.consensus().mode(),
            simplex ? v1::CONSENSUS_MODE_SIMPLEX : v1::CONSENSUS_MODE_SIMULATION);
  // The block id at the height: the API's in simulation mode, the `digest` of `processed
  // finalized block` in Simplex mode; 64 hex digits either way.
  EXPECT_TRUE(std::regex_match(seen.log().finalized_block_id(), std::regex("[0-9a-f]{64}")))
      << seen.log().finalized_block_id();
  if (simplex) {
    EXPECT_EQ(seen.consensus().last_block_id(), seen.log().finalized_block_id());
    EXPECT_GT(seen.consensus().view(), 0u);  // From `proposed new block`'s round.
    EXPECT_EQ(seen.consensus().view(), seen.log().proposed_view());
    EXPECT_EQ(seen.consensus().proposed_view() % 4, 0u);  // v1 leads views 4, 8, ...
    EXPECT_FALSE(seen.consensus().engine_failed());
  }
  // The node's identity and the participants: from the sim's config.yaml (both modes) and,
  // in Simplex mode, from the log; the key the sim says v1 has.
  std::ifstream ready_in(dir_ + "/ready.json");
  nlohmann::json ready = nlohmann::json::parse(ready_in);
  const std::string v1_key = ready["nodes"][0]["public_key"];
  EXPECT_EQ(seen.config().public_key(), v1_key);
  EXPECT_TRUE(seen.config().loaded());
  EXPECT_EQ(seen.config().use_simplex_bft(), simplex);
  ASSERT_EQ(seen.config().participants_size(), 4);
  for (const v1::Participant& p : seen.config().participants()) {
    bool found = false;
    for (const auto& node : ready["nodes"]) {
      if (node["public_key"] != p.public_key()) continue;
      found = true;
      EXPECT_EQ(p.addr(), node["p2p"].get<std::string>());
      EXPECT_EQ(p.self(), node["name"] == "v1");
    }
    EXPECT_TRUE(found) << p.public_key();
  }
  if (simplex) {
    EXPECT_EQ(seen.log().public_key(), v1_key);
    EXPECT_EQ(seen.log().p2p_listen_addr(), prefix + "1:9000");
    EXPECT_TRUE(seen.log().simplex_started());
  }
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
