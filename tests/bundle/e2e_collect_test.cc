// `gutsctl diag collect` end to end with the real binaries: guts-sim (2 nodes),
// guts-collector, one guts-agent per node, gutsctl. One node's agent is then killed: collect
// --all returns the other's bundle and reports the silent one as pending; when its agent comes
// back the queued request is served.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bundle_format/archive_check.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/sim_agent.h"

namespace guts {
namespace {

namespace v1 = ::guts::diag::v1;
using ::guts::testing::BinaryPath;
using ::guts::testing::ChildProcess;
using ::guts::testing::FreshTempDir;
using ::guts::testing::Shell;
using ::guts::testing::ShellResult;
using ::guts::testing::StartSimAgent;
using ::guts::testing::WaitForReadyFile;

// A loopback range of its own, so this test can run beside others.
constexpr char kBaseIp[] = "127.47.0.0";
std::string NodeIp(int i) { return absl::StrCat("127.47.0.", i); }

// Runs gutsctl to completion, capturing stdout and stderr.
ShellResult Gutsctl(const std::string& collector, const std::vector<std::string>& args) {
  std::string cmd =
      absl::StrCat(BinaryPath("gutsctl"), " --collector ", collector, " --insecure --no-color");
  for (const std::string& a : args) absl::StrAppend(&cmd, " '", a, "'");
  ShellResult run = Shell(cmd);
  std::cout << "$ gutsctl " << absl::StrJoin(args, " ") << "\n" << run.output << std::flush;
  return run;
}

std::unique_ptr<ChildProcess> StartAgent(const std::string& dir, const std::string& collector,
                                         int i) {
  const std::string node = absl::StrCat("v", i);
  return StartSimAgent(collector, dir, node, NodeIp(i));
}

// Waits until the collector sees `node` connected (or not).
bool WaitConnected(v1::FleetService::Stub& stub, const std::string& node, bool want) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::FleetStatus status;
    if (stub.GetFleetStatus(&ctx, v1::FleetStatusRequest(), &status).ok()) {
      for (const v1::NodeStatus& n : status.nodes()) {
        if (n.node_id() == node && n.connected() == want) return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

TEST(DiagCollect, OneNodeThenAllWithOneAgentDownThenThePendingOneAfterReconnect) {
  const std::string dir = FreshTempDir("e2e-bundle-collect");
  ChildProcess sim({BinaryPath("guts-sim"), "run", "--nodes", "2", "--base-ip", kBaseIp,
                    "--control-addr", "127.0.0.1:0", "--state-dir", dir + "/sim", "--mode",
                    "simulation", "--ready-file", dir + "/sim.ready"},
                   dir + "/sim.log");
  ASSERT_TRUE(sim.ok()) << sim.error();
  ChildProcess collector(
      {BinaryPath("guts-collector"), "--insecure", "--grpc-addr", "127.0.0.1:0", "--http-addr",
       "127.0.0.1:0", "--data-dir", dir + "/collector", "--ready-file", dir + "/collector.ready"},
      dir + "/collector.log");
  ASSERT_TRUE(collector.ok()) << collector.error();
  ASSERT_TRUE(WaitForReadyFile(dir + "/sim.ready", absl::Seconds(20)).ok());
  absl::StatusOr<std::string> ready = WaitForReadyFile(dir + "/collector.ready", absl::Seconds(20));
  ASSERT_TRUE(ready.ok()) << ready.status();
  const std::string addr = nlohmann::json::parse(*ready).at("grpc").get<std::string>();
  auto stub =
      v1::FleetService::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));

  auto agent1 = StartAgent(dir, addr, 1);
  auto agent2 = StartAgent(dir, addr, 2);
  ASSERT_TRUE(WaitConnected(*stub, "v1", true));
  ASSERT_TRUE(WaitConnected(*stub, "v2", true));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a few log lines and snapshots

  // One node, to a file.
  const std::string file = dir + "/v1.tar.gz";
  ShellResult one = Gutsctl(addr, {"diag", "collect", "--node", "v1", "--since", "10m", "--output",
                                   file, "--timeout", "60s"});
  ASSERT_EQ(one.exit_code, 0) << one.output;
  absl::StatusOr<std::vector<std::string>> entries = bundle::CheckArchiveEntries(file);
  ASSERT_TRUE(entries.ok()) << entries.status();
  for (const char* want :
       {"manifest.json", "node/api/consensus_status.json", "node/node.log", "node/metrics.txt",
        "system/facts.json", "agent/state.json", "node/data_dir.txt"}) {
    EXPECT_NE(std::find(entries->begin(), entries->end(), want), entries->end()) << want;
  }

  // v2's agent dies: --all returns v1 and reports v2 pending, without failing.
  agent2->Stop(SIGKILL);
  ASSERT_TRUE(WaitConnected(*stub, "v2", false));
  ShellResult all = Gutsctl(addr, {"diag", "collect", "--all", "--output", dir + "/all",
                                   "--timeout", "60s", "-o", "json"});
  ASSERT_EQ(all.exit_code, 0) << all.output;
  const nlohmann::json outcome = nlohmann::json::parse(all.output.substr(all.output.find('{')));
  std::map<std::string, std::string> state;
  for (const auto& b : outcome.at("bundles")) state[b.at("node_id")] = b.at("state");
  EXPECT_EQ(state["v1"], "BUNDLE_COMPLETE");
  EXPECT_EQ(state["v2"], "BUNDLE_PENDING");

  // v2's agent comes back: the queued request is served without asking again.
  agent2 = StartAgent(dir, addr, 2);
  ASSERT_TRUE(WaitConnected(*stub, "v2", true));
  bool v2_complete = false;
  for (int i = 0; i < 100 && !v2_complete; ++i) {
    ShellResult list = Gutsctl(addr, {"diag", "list", "-o", "json"});
    const nlohmann::json bundles = nlohmann::json::parse(list.output.substr(list.output.find('{')));
    for (const auto& b : bundles.value("bundles", nlohmann::json::array())) {
      if (b.at("node_id") == "v2" && b.at("state") == "BUNDLE_COMPLETE") v2_complete = true;
    }
    if (!v2_complete) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(v2_complete);
  Gutsctl(addr, {"diag", "list"});
}

}  // namespace
}  // namespace guts
