// The first path end to end, with real processes: guts-sim (3 nodes), guts-collector and one
// guts-agent per node on loopback; the collector's FleetService must report three healthy
// nodes whose heights rise.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/sim_agent.h"

namespace guts {
namespace {

namespace v1 = ::guts::diag::v1;
using ::guts::testing::BinaryPath;
using ::guts::testing::ChildProcess;
using ::guts::testing::FreshTempDir;
using ::guts::testing::StartSimAgent;
using ::guts::testing::WaitForReadyFile;

constexpr int kNodes = 3;
// A loopback range of its own, so this test can run beside others.
constexpr char kBaseIp[] = "127.31.0.0";

std::string NodeIp(int i) { return absl::StrCat("127.31.0.", i); }

absl::StatusOr<v1::FleetStatus> FleetStatus(v1::FleetService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::FleetStatus status;
  grpc::Status s = stub.GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return status;
}

TEST(FirstPath, ThreeAgentsReportHealthyNodesWithRisingHeights) {
  std::string dir = FreshTempDir("e2e-first-path");
  ChildProcess sim({BinaryPath("guts-sim"), "run", "--nodes", absl::StrCat(kNodes), "--base-ip",
                    kBaseIp, "--control-addr", "127.0.0.1:0", "--state-dir", dir + "/sim", "--mode",
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
  std::string grpc_addr = nlohmann::json::parse(*ready).at("grpc").get<std::string>();

  std::vector<std::unique_ptr<ChildProcess>> agents;
  for (int i = 1; i <= kNodes; ++i) {
    std::string node = absl::StrCat("v", i);
    agents.push_back(StartSimAgent(grpc_addr, dir, node, NodeIp(i)));
    ASSERT_TRUE(agents.back()->ok()) << agents.back()->error();
  }

  auto stub =
      v1::FleetService::NewStub(grpc::CreateChannel(grpc_addr, grpc::InsecureChannelCredentials()));
  std::map<std::string, uint64_t> first_height;
  std::map<std::string, uint64_t> last_height;
  v1::FleetStatus last;
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool rising = false;
  while (absl::Now() < deadline && !rising) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    absl::StatusOr<v1::FleetStatus> status = FleetStatus(*stub);
    if (!status.ok()) continue;
    last = *status;
    int healthy_and_rising = 0;
    for (const v1::NodeStatus& node : status->nodes()) {
      if (node.height() == 0) continue;
      first_height.try_emplace(node.node_id(), node.height());
      last_height[node.node_id()] = node.height();
      if (node.state() == v1::HEALTHY && node.height() > first_height[node.node_id()]) {
        ++healthy_and_rising;
      }
    }
    rising = status->nodes_size() == kNodes && healthy_and_rising == kNodes;
  }
  EXPECT_TRUE(rising) << "fleet status after 10 s: " << last.DebugString() << "\nlogs in " << dir;
  ASSERT_EQ(last.nodes_size(), kNodes);
  for (const v1::NodeStatus& node : last.nodes()) {
    EXPECT_EQ(node.state(), v1::HEALTHY) << node.node_id() << ": " << node.state_reason();
    EXPECT_GT(node.height(), 0u) << node.node_id();
    EXPECT_GT(node.peers_expected(), 0u) << node.node_id();
    EXPECT_GT(node.disk_used_ratio(), 0.0) << node.node_id();
  }
}

TEST(FirstPath, UnknownNodeIsNotFound) {
  std::string dir = FreshTempDir("e2e-unknown-node");
  ChildProcess collector(
      {BinaryPath("guts-collector"), "--insecure", "--grpc-addr", "127.0.0.1:0", "--http-addr",
       "127.0.0.1:0", "--data-dir", dir + "/collector", "--ready-file", dir + "/collector.ready"},
      dir + "/collector.log");
  absl::StatusOr<std::string> ready = WaitForReadyFile(dir + "/collector.ready", absl::Seconds(20));
  ASSERT_TRUE(ready.ok()) << ready.status();
  auto stub = v1::FleetService::NewStub(
      grpc::CreateChannel(nlohmann::json::parse(*ready).at("grpc").get<std::string>(),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::GetNodeRequest request;
  request.set_node_id("no-such-node");
  v1::NodeDetail detail;
  grpc::Status s = stub->GetNode(&context, request, &detail);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("no-such-node"), std::string::npos) << s.error_message();
}

}  // namespace
}  // namespace guts
