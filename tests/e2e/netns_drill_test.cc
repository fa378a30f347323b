// The partition drill with real kernel faults: guts-sim --netfilter, one guts-agent per node and
// guts-collector all run inside a private network namespace that this test creates, a 4|3 split
// of 7 is cut by nftables rules (the kernel drops the packets, the sim keeps sending), and the
// collector's FleetService must open a P1 PARTITION_NO_QUORUM naming both groups, then resolve
// it after the heal. The sim runs Simplex, as production does: the quorum comes from the
// participants in each node's config.yaml (5 of 7 votes).
//
// The test process itself moves into the new namespace (unshare(CLONE_NEWNET)) before it starts
// any child, so every child inherits it; ctest runs each discovered test in its own process, so
// nothing else ever runs in it. The host's namespace and rules are never touched.
//
// Deadlines are functional, not speed assertions: the scenario suite detects this split within
// about 10 s at real scale; here 30 s to open and 45 s to clear, for a loaded 2-core machine.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/private_network.h"
#include "tests/support/sim_agent.h"

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

constexpr int kNodes = 7;
// Private to the namespace anyway; a range of its own keeps logs unambiguous.
constexpr char kBaseIp[] = "127.60.0.0";

std::string NodeIp(int i) { return absl::StrCat("127.60.0.", i); }

std::string Describe(const v1::Incident& incident) {
  std::vector<std::string> groups;
  for (const v1::NodeGroup& g : incident.groups()) groups.push_back(absl::StrJoin(g.nodes(), ","));
  return absl::StrCat(incident.id(), " ", v1::IncidentKind_Name(incident.kind()), " ",
                      v1::Severity_Name(incident.severity()), " ",
                      v1::IncidentState_Name(incident.state()), " {", absl::StrJoin(groups, "|"),
                      "}");
}

std::vector<std::string> Nodes(int first, int last) {
  std::vector<std::string> out;
  for (int i = first; i <= last; ++i) out.push_back(absl::StrCat("v", i));
  return out;
}

class Drill {
 public:
  explicit Drill(std::string dir) : dir_(std::move(dir)) {}

  // Starts sim and collector, waits for both, then one agent per node.
  absl::Status Start() {
    sim_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{BinaryPath("guts-sim"), "run", "--nodes", absl::StrCat(kNodes),
                                 "--base-ip", kBaseIp, "--control-addr", "127.0.0.1:0",
                                 "--state-dir", dir_ + "/sim", "--netfilter", "--mode", "simplex",
                                 "--ready-file", dir_ + "/sim.ready"},
        dir_ + "/sim.log");
    if (!sim_->ok()) return absl::InternalError(sim_->error());
    collector_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{BinaryPath("guts-collector"), "--insecure", "--grpc-addr",
                                 "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--data-dir",
                                 dir_ + "/collector", "--ready-file", dir_ + "/collector.ready"},
        dir_ + "/collector.log");
    if (!collector_->ok()) return absl::InternalError(collector_->error());
    absl::StatusOr<std::string> sim = WaitForReadyFile(dir_ + "/sim.ready", absl::Seconds(20));
    if (!sim.ok()) return sim.status();
    control_ = nlohmann::json::parse(*sim).at("control").get<std::string>();
    absl::StatusOr<std::string> col =
        WaitForReadyFile(dir_ + "/collector.ready", absl::Seconds(20));
    if (!col.ok()) return col.status();
    std::string grpc_addr = nlohmann::json::parse(*col).at("grpc").get<std::string>();
    for (int i = 1; i <= kNodes; ++i) {
      std::string node = absl::StrCat("v", i);
      agents_.push_back(StartSimAgent(grpc_addr, dir_, node, NodeIp(i)));
      if (!agents_.back()->ok()) return absl::InternalError(agents_.back()->error());
    }
    stub_ = v1::FleetService::NewStub(
        grpc::CreateChannel(grpc_addr, grpc::InsecureChannelCredentials()));
    return absl::OkStatus();
  }

  // Runs `guts-sim ctl <command>`; an error unless it exits 0.
  absl::Status Ctl(const std::vector<std::string>& command) {
    std::vector<std::string> argv = {BinaryPath("guts-sim"), "ctl", "--control", control_};
    argv.insert(argv.end(), command.begin(), command.end());
    ChildProcess ctl(argv, dir_ + "/ctl.log");
    if (!ctl.ok()) return absl::InternalError(ctl.error());
    int status = ctl.Stop(0, absl::Seconds(10));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return absl::InternalError(absl::StrCat("guts-sim ctl ", absl::StrJoin(command, " "),
                                              " failed (wait status ", status, "); see ", dir_,
                                              "/ctl.log"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::FleetStatus> FleetStatus() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::FleetStatus status;
    grpc::Status s = stub_->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return status;
  }

  absl::StatusOr<std::vector<v1::Incident>> AllIncidents() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::ListIncidentsRequest request;
    request.set_include_resolved(true);
    request.set_limit(1000);  // the most one answer holds; a drill opens far fewer
    v1::IncidentList list;
    grpc::Status s = stub_->ListIncidents(&context, request, &list);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    if (list.truncated()) return absl::OutOfRangeError("more than 1000 incidents");
    return std::vector<v1::Incident>(list.incidents().begin(), list.incidents().end());
  }

  // Waits until every node is reported HEALTHY with a height.
  bool WaitHealthy(absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      absl::StatusOr<v1::FleetStatus> status = FleetStatus();
      if (status.ok() && status->nodes_size() == kNodes &&
          std::all_of(status->nodes().begin(), status->nodes().end(), [](const v1::NodeStatus& n) {
            return n.state() == v1::HEALTHY && n.height() > 0;
          })) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string control_;
  std::unique_ptr<ChildProcess> sim_, collector_;
  std::vector<std::unique_ptr<ChildProcess>> agents_;
  std::unique_ptr<v1::FleetService::Stub> stub_;
};

TEST(NetnsDrill, KernelCutFourThreeSplitOfSevenOpensNoQuorumP1AndHealResolvesIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace (not root)";
  if (std::system("nft --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs nftables (the nft command is missing)";
  }
  // Into a private namespace before any child or gRPC thread exists; all children inherit it.
  absl::Status private_network = EnterPrivateNetworkNamespace();
  ASSERT_TRUE(private_network.ok()) << private_network;

  Drill drill(FreshTempDir("e2e-netns-drill"));
  ASSERT_TRUE(drill.Start().ok()) << "logs in " << drill.dir();
  ASSERT_TRUE(drill.WaitHealthy(absl::Seconds(30))) << "logs in " << drill.dir();
  // Settle: the analysis needs a few ticks of history before the fault.
  std::this_thread::sleep_for(std::chrono::seconds(5));

  ASSERT_TRUE(drill.Ctl({"partition", "v1,v2,v3,v4|v5,v6,v7"}).ok()) << "logs in " << drill.dir();
  // The cut is in the kernel: the sim's nftables table lists v1 -> v5 (and back) as dropped.
  std::string rules = Shell("nft list table inet guts_sim").output;
  EXPECT_NE(rules.find(NodeIp(1) + " . " + NodeIp(5)), std::string::npos) << rules;
  EXPECT_NE(rules.find(NodeIp(5) + " . " + NodeIp(1)), std::string::npos) << rules;

  v1::Incident opened;
  v1::FleetStatus last;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline && opened.id().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    absl::StatusOr<v1::FleetStatus> status = drill.FleetStatus();
    if (!status.ok()) continue;
    last = *status;
    for (const v1::Incident& incident : status->open_incidents()) {
      if (incident.kind() == v1::PARTITION_NO_QUORUM) opened = incident;
    }
  }
  ASSERT_FALSE(opened.id().empty())
      << "no PARTITION_NO_QUORUM within 30 s; fleet status: " << last.DebugString() << "\nlogs in "
      << drill.dir();
  EXPECT_EQ(opened.severity(), v1::P1) << Describe(opened);
  std::vector<std::vector<std::string>> groups;
  for (const v1::NodeGroup& g : opened.groups()) {
    groups.emplace_back(g.nodes().begin(), g.nodes().end());
    std::sort(groups.back().begin(), groups.back().end());
  }
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{Nodes(1, 4), Nodes(5, 7)}))
      << Describe(opened);
  // Simplex: the quorum comes from the participants the agents read in config.yaml.
  EXPECT_NE(opened.summary().find("quorum 5 of 7 votes"), std::string::npos) << Describe(opened);

  ASSERT_TRUE(drill.Ctl({"heal"}).ok()) << "logs in " << drill.dir();
  EXPECT_EQ(Shell("nft list table inet guts_sim").output.find(NodeIp(1) + " . "),
            std::string::npos);

  v1::Incident resolved;
  deadline = absl::Now() + absl::Seconds(45);
  while (absl::Now() < deadline && resolved.id().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    absl::StatusOr<std::vector<v1::Incident>> incidents = drill.AllIncidents();
    if (!incidents.ok()) continue;
    for (const v1::Incident& incident : *incidents) {
      if (incident.id() == opened.id() && incident.state() == v1::RESOLVED) resolved = incident;
    }
  }
  ASSERT_FALSE(resolved.id().empty())
      << Describe(opened) << " not resolved within 45 s of the heal; logs in " << drill.dir();
  absl::StatusOr<v1::FleetStatus> after = drill.FleetStatus();
  ASSERT_TRUE(after.ok()) << after.status();
  for (const v1::Incident& incident : after->open_incidents()) {
    EXPECT_NE(incident.id(), opened.id())
        << "still open in the fleet status: " << Describe(incident);
  }
}

}  // namespace
}  // namespace guts
