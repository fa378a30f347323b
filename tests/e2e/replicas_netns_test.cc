// One collector replica on the wrong side of a cut, with real kernel faults: guts-sim, seven
// guts-agents and two guts-collector replicas run inside a private network namespace this test
// creates; an nftables rule cuts replica B from the agents of v5, v6 and v7 (the kernel drops
// the packets; the nodes themselves stay connected). Replica A still hears all seven and opens
// nothing; B hears four and says v5..v7 are silent to it while their peers hear them
// (COLLECTOR_UNREACHABLE, never NODE_DOWN or a partition); gutsctl with both replicas says they
// hear different parts of the fleet and shows each view.
//
// How the cut reaches only half of the agents on one loopback: B listens on 0.0.0.0 (in the
// private namespace), v1..v4 dial it as 127.61.1.2 and v5..v7 as 127.61.2.2; the rule drops
// everything to and from 127.61.2.2. The test process moves into the namespace before it starts
// any child (see netns_drill_test.cc); the host's namespace and rules are never touched.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/private_network.h"
#include "tests/support/sim_agent.h"
#include "tests/support/wait_until.h"

namespace guts {
namespace {

namespace v1 = ::guts::diag::v1;
using ::guts::testing::BinaryPath;
using ::guts::testing::ChildProcess;
using ::guts::testing::EnterPrivateNetworkNamespace;
using ::guts::testing::FreshTempDir;
using ::guts::testing::Shell;
using ::guts::testing::StartSimAgent;
using ::guts::testing::WaitForReadyFile;
using ::guts::testing::WaitUntil;

constexpr int kNodes = 7;
constexpr char kBaseIp[] = "127.61.0.0";
constexpr char kReplicaA[] = "127.61.1.1:7400";
constexpr char kReplicaBNear[] = "127.61.1.2:7400";  // how v1..v4 reach B
constexpr char kReplicaBFar[] = "127.61.2.2:7400";   // how v5..v7 reach B: cut

absl::StatusOr<v1::FleetStatus> Status(v1::FleetService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  v1::FleetStatus status;
  grpc::Status s = stub.GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return status;
}

// Nodes a replica hears: stream up and not judged silent (as gutsctl counts them; a stream
// whose packets the kernel drops stays "connected" until keepalive ends it).
std::set<std::string> Heard(const v1::FleetStatus& status) {
  std::set<std::string> heard;
  for (const v1::NodeStatus& node : status.nodes()) {
    if (node.connected() && node.state() != v1::UNREACHABLE && node.state() != v1::DOWN) {
      heard.insert(node.node_id());
    }
  }
  return heard;
}

TEST(ReplicasNetns, ReplicaCutFromHalfTheAgentsSaysSoAndTheVerdictStaysRight) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace (not root)";
  if (std::system("nft --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs nftables (the nft command is missing)";
  }
  absl::Status private_network = EnterPrivateNetworkNamespace();
  ASSERT_TRUE(private_network.ok()) << private_network;

  std::string dir = FreshTempDir("e2e-replicas-netns");
  ChildProcess sim({BinaryPath("guts-sim"), "run", "--nodes", absl::StrCat(kNodes), "--base-ip",
                    kBaseIp, "--control-addr", "127.0.0.1:0", "--state-dir", dir + "/sim",
                    "--ready-file", dir + "/sim.ready"},
                   dir + "/sim.log");
  ASSERT_TRUE(sim.ok()) << sim.error();
  ChildProcess a({BinaryPath("guts-collector"), "--insecure", "--grpc-addr", kReplicaA,
                  "--http-addr", "127.61.1.1:0", "--data-dir", dir + "/collector-a", "--ready-file",
                  dir + "/collector-a.ready"},
                 dir + "/collector-a.log");
  ChildProcess b({BinaryPath("guts-collector"), "--insecure", "--grpc-addr", "0.0.0.0:7400",
                  "--http-addr", "127.61.1.2:0", "--data-dir", dir + "/collector-b", "--ready-file",
                  dir + "/collector-b.ready"},
                 dir + "/collector-b.log");
  ASSERT_TRUE(WaitForReadyFile(dir + "/sim.ready", absl::Seconds(30)).ok()) << dir;
  ASSERT_TRUE(WaitForReadyFile(dir + "/collector-a.ready", absl::Seconds(30)).ok()) << dir;
  ASSERT_TRUE(WaitForReadyFile(dir + "/collector-b.ready", absl::Seconds(30)).ok()) << dir;

  std::vector<std::unique_ptr<ChildProcess>> agents;
  for (int i = 1; i <= kNodes; ++i) {
    std::string collectors = absl::StrCat(kReplicaA, ",", i <= 4 ? kReplicaBNear : kReplicaBFar);
    agents.push_back(
        StartSimAgent(collectors, dir, absl::StrCat("v", i), absl::StrCat("127.61.0.", i)));
    ASSERT_TRUE(agents.back()->ok());
  }
  auto stub_a =
      v1::FleetService::NewStub(grpc::CreateChannel(kReplicaA, grpc::InsecureChannelCredentials()));
  auto stub_b = v1::FleetService::NewStub(
      grpc::CreateChannel(kReplicaBNear, grpc::InsecureChannelCredentials()));
  auto all_healthy = [&](v1::FleetService::Stub& stub) {
    absl::StatusOr<v1::FleetStatus> s = Status(stub);
    if (!s.ok() || s->nodes_size() != kNodes) return false;
    for (const v1::NodeStatus& n : s->nodes()) {
      if (n.state() != v1::HEALTHY || !n.connected()) return false;
    }
    return true;
  };
  ASSERT_TRUE(
      WaitUntil([&] { return all_healthy(*stub_a) && all_healthy(*stub_b); }, absl::Seconds(60)))
      << "both replicas should hear 7 healthy nodes; logs in " << dir;

  // The cut: B and the far agents lose each other in the kernel.
  ASSERT_EQ(Shell("nft add table inet guts_replicas_test && "
                  "nft 'add chain inet guts_replicas_test out { type filter hook output "
                  "priority 0; }' && "
                  "nft add rule inet guts_replicas_test out ip daddr 127.61.2.2 drop && "
                  "nft add rule inet guts_replicas_test out ip saddr 127.61.2.2 drop")
                .exit_code,
            0);

  // B: v5..v7 silent to it while their peers hear them. Never NODE_DOWN, never a partition.
  v1::FleetStatus seen_b;
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<v1::FleetStatus> s = Status(*stub_b);
        if (!s.ok()) return false;
        seen_b = *s;
        for (const v1::Incident& incident : s->open_incidents()) {
          if (incident.kind() == v1::COLLECTOR_UNREACHABLE) return true;
        }
        return false;
      },
      absl::Seconds(90)))
      << "replica B should report v5..v7 unreachable; " << seen_b.DebugString() << " logs in "
      << dir;
  EXPECT_EQ(Heard(seen_b), (std::set<std::string>{"v1", "v2", "v3", "v4"}));
  for (const v1::Incident& incident : seen_b.open_incidents()) {
    EXPECT_EQ(incident.kind(), v1::COLLECTOR_UNREACHABLE) << incident.summary();
    if (incident.kind() == v1::COLLECTOR_UNREACHABLE) {
      EXPECT_EQ(std::set<std::string>(incident.nodes().begin(), incident.nodes().end()),
                (std::set<std::string>{"v5", "v6", "v7"}));
    }
  }
  // A: the whole fleet, healthy, nothing open.
  absl::StatusOr<v1::FleetStatus> seen_a = Status(*stub_a);
  ASSERT_TRUE(seen_a.ok());
  EXPECT_EQ(Heard(*seen_a).size(), static_cast<size_t>(kNodes));
  EXPECT_EQ(seen_a->open_incidents_size(), 0) << seen_a->DebugString();

  // gutsctl with both replicas: the split between the replicas is named, and each view shown.
  std::string gutsctl = absl::StrCat(BinaryPath("gutsctl"), " --insecure --no-color --collector ",
                                     kReplicaBNear, ",", kReplicaA);
  testing::ShellResult status = Shell(gutsctl + " fleet status 2>&1");
  EXPECT_NE(status.output.find("answering from collector " + std::string(kReplicaBNear)),
            std::string::npos)
      << status.output;
  EXPECT_NE(status.output.find("replicas hear different parts of the fleet"), std::string::npos)
      << status.output;
  testing::ShellResult all = Shell(gutsctl + " --all-collectors fleet status 2>&1");
  EXPECT_NE(all.output.find(absl::StrCat(kReplicaBNear, "  hears 4 of 7 nodes: v1 v2 v3 v4")),
            std::string::npos)
      << all.output;
  EXPECT_NE(all.output.find(absl::StrCat(kReplicaA, "  hears 7 of 7")), std::string::npos)
      << all.output;
  EXPECT_NE(all.output.find("COLLECTOR_UNREACHABLE"), std::string::npos) << all.output;
  // A bundle of a node B cannot hear goes through A, the replica that hears it.
  testing::ShellResult collect =
      Shell(absl::StrCat(gutsctl, " diag collect --node v6 --since 5m --timeout 60s --output ", dir,
                         "/v6.tar.gz 2>&1"));
  EXPECT_EQ(collect.exit_code, 0) << collect.output;
  EXPECT_NE(collect.output.find(absl::StrCat("answering from collector ", kReplicaA)),
            std::string::npos)
      << collect.output;
}

}  // namespace
}  // namespace guts
