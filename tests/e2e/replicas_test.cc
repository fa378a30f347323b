// Two collector replicas end to end, with real processes on loopback: guts-sim (7 nodes), two
// guts-collector replicas and seven guts-agents streaming to both. One replica is killed
// during a 4|3 split: the other keeps the incident and resolves it after the heal, and once the
// dead one is back (same address, same store) both stores hold every snapshot of every node,
// in order, with no hole (seq audit). Bundles go through the survivor while the other is down.
// Both replicas push to one real Alertmanager (Debian's prometheus-alertmanager) paging this
// test's webhook receiver: the split pages once (one notification, one alert, though two
// replicas push it and one dies mid-split), and the heal resolves it once. The killed replica
// returns after the heal holding the split it had open: its analysis warms up and resolves it
// without paging it again, so the receiver sees two notifications in all.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/alertmanager.h"
#include "tests/support/child_process.h"
#include "tests/support/files.h"
#include "tests/support/private_data_dirs.h"
#include "tests/support/sim_agent.h"
#include "tests/support/wait_until.h"

namespace guts {
namespace {

namespace v1 = ::guts::diag::v1;
using ::guts::testing::Alertmanager;
using ::guts::testing::BinaryPath;
using ::guts::testing::ChildProcess;
using ::guts::testing::FreshTempDir;
using ::guts::testing::PagerInbox;
using ::guts::testing::ReadFileOrEmpty;
using ::guts::testing::Shell;
using ::guts::testing::SimDataDirArgs;
using ::guts::testing::StartSimAgent;
using ::guts::testing::WaitForReadyFile;
using ::guts::testing::WaitUntil;

constexpr int kNodes = 7;
// A loopback range of its own: nodes on 127.201.0.x, the replicas on 127.201.1.{1,2}.
constexpr char kBaseIp[] = "127.201.0.0";
const std::string kReplica[2] = {"127.201.1.1:7400", "127.201.1.2:7400"};
constexpr char kSplitAlert[] = "PARTITION_NO_QUORUM";

// One collector replica: a fixed address, so that a restart is found again by the agents.
// It pushes its alerts to the Alertmanager at `alertmanager_url`, re-sending every second.
class Replica {
 public:
  Replica(std::string dir, int index, std::string alertmanager_url)
      : dir_(std::move(dir)), index_(index), alertmanager_url_(std::move(alertmanager_url)) {}

  void Start() {
    std::string name = absl::StrCat("collector-", index_);
    std::remove((dir_ + "/" + name + ".ready").c_str());
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{BinaryPath("guts-collector"),
                                 "--insecure",
                                 "--grpc-addr",
                                 kReplica[index_],
                                 "--http-addr",
                                 absl::StrCat(kReplica[index_].substr(0, 11), ":0"),
                                 "--data-dir",
                                 dir_ + "/" + name,
                                 "--ready-file",
                                 dir_ + "/" + name + ".ready",
                                 "--alertmanager-url",
                                 alertmanager_url_,
                                 "--alert-resend-interval",
                                 "1s",
                                 "--network-name",
                                 "e2e-replicas",
                                 "--replica-name",
                                 name,
                                 "--alert-replica-settle",
                                 "2s"},
        dir_ + "/" + name + ".log");
    ready_ = WaitForReadyFile(dir_ + "/" + name + ".ready", absl::Seconds(30)).ok();
    stub_ = v1::FleetService::NewStub(
        grpc::CreateChannel(kReplica[index_], grpc::InsecureChannelCredentials()));
  }
  bool ready() const { return ready_ && process_->ok(); }
  void Kill() { process_->Stop(SIGKILL); }

  absl::StatusOr<v1::FleetStatus> Status() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::FleetStatus status;
    grpc::Status s = stub_->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return status;
  }
  std::vector<v1::Incident> Incidents() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::ListIncidentsRequest request;
    request.set_include_resolved(true);
    request.set_limit(1000);  // the most one answer holds; these runs open far fewer
    v1::IncidentList list;
    if (!stub_->ListIncidents(&context, request, &list).ok()) return {};
    EXPECT_FALSE(list.truncated()) << "more than 1000 incidents";
    return {list.incidents().begin(), list.incidents().end()};
  }
  // Every stored seq of `node`, oldest first.
  std::vector<uint64_t> Seqs(const std::string& node) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::NodeHistoryRequest request;
    request.set_node_id(node);
    request.set_limit(100000);
    auto reader = stub_->GetNodeHistory(&context, request);
    std::vector<uint64_t> seqs;
    v1::HistoryPoint point;
    while (reader->Read(&point)) seqs.push_back(point.seq());
    if (!reader->Finish().ok()) return {};
    return seqs;
  }

 private:
  std::string dir_;
  int index_;
  std::string alertmanager_url_;
  bool ready_ = false;
  std::unique_ptr<ChildProcess> process_;
  std::unique_ptr<v1::FleetService::Stub> stub_;
};

int HealthyHeard(Replica& replica) {
  absl::StatusOr<v1::FleetStatus> status = replica.Status();
  if (!status.ok()) return 0;
  int n = 0;
  for (const v1::NodeStatus& node : status->nodes()) {
    n += node.state() == v1::HEALTHY && node.connected();
  }
  return n;
}

const v1::Incident* Find(const std::vector<v1::Incident>& incidents, v1::IncidentKind kind,
                         v1::IncidentState state) {
  for (const v1::Incident& incident : incidents) {
    if (incident.kind() == kind && incident.state() == state) return &incident;
  }
  return nullptr;
}

// Every seq from 1 up, once, in order.
void ExpectNoHole(const std::vector<uint64_t>& seqs, const std::string& who) {
  ASSERT_FALSE(seqs.empty()) << who << ": nothing stored";
  for (size_t i = 0; i < seqs.size(); ++i) {
    ASSERT_EQ(seqs[i], i + 1) << who << ": seq " << i + 1 << " missing or out of order";
  }
}

TEST(Replicas, OneReplicaKilledDuringAFourThreeSplitTheOtherKeepsThePictureAndNothingIsLost) {
  ASSERT_TRUE(std::filesystem::exists(testing::kAlertmanagerBinary))
      << "install prometheus-alertmanager (scripts/apt-packages.txt)";
  std::string dir = FreshTempDir("e2e-replicas");
  PagerInbox inbox;
  Alertmanager am(dir + "/am", inbox.port());
  am.Start();
  ASSERT_TRUE(am.WaitReady(absl::Seconds(30))) << "see " << dir << "/am/alertmanager.log";
  std::vector<std::string> sim_argv = {BinaryPath("guts-sim"), "run",          "--nodes",
                                       absl::StrCat(kNodes),   "--base-ip",    kBaseIp,
                                       "--control-addr",       "127.0.0.1:0",  "--state-dir",
                                       dir + "/sim",           "--ready-file", dir + "/sim.ready"};
  for (const std::string& a : SimDataDirArgs()) sim_argv.push_back(a);
  ChildProcess sim(sim_argv, dir + "/sim.log");
  ASSERT_TRUE(sim.ok()) << sim.error();
  Replica a(dir, 0, am.url()), b(dir, 1, am.url());
  a.Start();
  b.Start();
  ASSERT_TRUE(a.ready() && b.ready()) << "logs in " << dir;
  absl::StatusOr<std::string> sim_ready = WaitForReadyFile(dir + "/sim.ready", absl::Seconds(30));
  ASSERT_TRUE(sim_ready.ok()) << sim_ready.status();
  std::string control = nlohmann::json::parse(*sim_ready).at("control").get<std::string>();
  auto sim_ctl = [&](const std::string& command) {
    return Shell(absl::StrCat(BinaryPath("guts-sim"), " ctl --control ", control, " ", command))
        .exit_code;
  };

  std::vector<std::unique_ptr<ChildProcess>> agents;
  for (int i = 1; i <= kNodes; ++i) {
    agents.push_back(StartSimAgent(absl::StrCat(kReplica[0], ",", kReplica[1]), dir,
                                   absl::StrCat("v", i), absl::StrCat("127.201.0.", i)));
    ASSERT_TRUE(agents.back()->ok());
  }
  ASSERT_TRUE(WaitUntil([&] { return HealthyHeard(a) == kNodes && HealthyHeard(b) == kNodes; },
                        absl::Seconds(60)))
      << "both replicas should hear 7 healthy nodes; logs in " << dir;

  // 4|3: no side holds the quorum. Both replicas see it, under the same cause key.
  ASSERT_EQ(sim_ctl("partition 'v1,v2,v3,v4|v5,v6,v7'"), 0);
  const v1::Incident* on_a = nullptr;
  const v1::Incident* on_b = nullptr;
  std::vector<v1::Incident> incidents_a, incidents_b;
  ASSERT_TRUE(WaitUntil(
      [&] {
        incidents_a = a.Incidents();
        incidents_b = b.Incidents();
        on_a = Find(incidents_a, v1::PARTITION_NO_QUORUM, v1::OPEN);
        on_b = Find(incidents_b, v1::PARTITION_NO_QUORUM, v1::OPEN);
        return on_a != nullptr && on_b != nullptr;
      },
      absl::Seconds(60)))
      << "the split should open PARTITION_NO_QUORUM on both replicas; logs in " << dir;
  EXPECT_EQ(on_a->cause_key(), on_b->cause_key())
      << "the same cause must carry the same identity on both replicas";
  const std::string incident_id = on_a->id();

  // Both replicas push the split; Alertmanager pages once, one alert in one notification.
  ASSERT_TRUE(inbox.WaitCount(kSplitAlert, "firing", 1, absl::Seconds(30))) << inbox.Dump();
  nlohmann::json page = inbox.Pages(kSplitAlert).front();
  ASSERT_EQ(page["alerts"].size(), 1u) << page.dump(2);
  EXPECT_EQ(page["alerts"][0]["labels"]["network"], "e2e-replicas") << page.dump(2);
  EXPECT_EQ(page["alerts"][0]["labels"]["incident_id"], on_a->cause_key()) << page.dump(2);

  // Replica B dies mid-split. A keeps the incident open, the same one.
  b.Kill();
  std::this_thread::sleep_for(std::chrono::seconds(5));
  incidents_a = a.Incidents();
  on_a = Find(incidents_a, v1::PARTITION_NO_QUORUM, v1::OPEN);
  ASSERT_NE(on_a, nullptr) << "the surviving replica lost the incident";
  EXPECT_EQ(on_a->id(), incident_id);
  // Alertmanager still holds the split (A re-sends it) and has paged nobody again: the group
  // interval (2s) passed twice while B was down.
  nlohmann::json held = am.FindAlert(kSplitAlert);
  ASSERT_FALSE(held.is_null()) << "Alertmanager dropped the split when B died";
  EXPECT_EQ(held["status"].value("state", ""), "active") << held.dump(2);
  EXPECT_EQ(inbox.Count(kSplitAlert, "firing"), 1) << inbox.Dump();

  // A bundle through the survivor while B is down.
  std::string bundle = dir + "/v6-bundle.tar.gz";
  testing::ShellResult collect = Shell(
      absl::StrCat(BinaryPath("gutsctl"), " --insecure --collector ", kReplica[1], ",", kReplica[0],
                   " diag collect --node v6 --since 5m --timeout 60s --output ", bundle, " 2>&1"));
  EXPECT_EQ(collect.exit_code, 0) << collect.output;
  EXPECT_NE(collect.output.find(absl::StrCat("answering from collector ", kReplica[0])),
            std::string::npos)
      << collect.output;
  EXPECT_EQ(Shell(absl::StrCat("tar tzf ", bundle, " >/dev/null")).exit_code, 0) << collect.output;

  // The heal resolves it once, on the survivor.
  ASSERT_EQ(sim_ctl("heal"), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        incidents_a = a.Incidents();
        return Find(incidents_a, v1::PARTITION_NO_QUORUM, v1::OPEN) == nullptr &&
               Find(incidents_a, v1::PARTITION_NO_QUORUM, v1::RESOLVED) != nullptr;
      },
      absl::Seconds(60)))
      << "the heal should resolve the split on the survivor; logs in " << dir;
  int resolved = 0;
  for (const v1::Incident& incident : incidents_a) {
    resolved += incident.kind() == v1::PARTITION_NO_QUORUM;
  }
  EXPECT_EQ(resolved, 1) << "one split, one incident on the survivor";
  // The heal resolves the page once.
  ASSERT_TRUE(inbox.WaitCount(kSplitAlert, "resolved", 1, absl::Seconds(30))) << inbox.Dump();
  std::vector<nlohmann::json> pages = inbox.Pages(kSplitAlert);
  ASSERT_EQ(pages.back()["alerts"].size(), 1u) << pages.back().dump(2);
  EXPECT_EQ(pages.back()["alerts"][0]["status"], "resolved") << pages.back().dump(2);

  // B back on its address and store: the agents resend what it missed.
  b.Start();
  ASSERT_TRUE(b.ready()) << "logs in " << dir;
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<v1::FleetStatus> sa = a.Status(), sb = b.Status();
        if (!sa.ok() || !sb.ok() || sb->nodes_size() != kNodes) return false;
        std::map<std::string, uint64_t> last_a;
        for (const v1::NodeStatus& n : sa->nodes()) last_a[n.node_id()] = n.last_seq();
        for (const v1::NodeStatus& n : sb->nodes()) {
          if (!n.connected() || n.last_seq() < last_a[n.node_id()]) return false;
        }
        return true;
      },
      absl::Seconds(60)))
      << "the returning replica should catch up with the survivor; logs in " << dir;

  // The seq audit: every node's snapshots, on both replicas, from seq 1 without a hole.
  for (int i = 1; i <= kNodes; ++i) {
    std::string node = absl::StrCat("v", i);
    std::vector<uint64_t> seqs_a = a.Seqs(node);
    std::vector<uint64_t> seqs_b = b.Seqs(node);
    ExpectNoHole(seqs_a, "replica A, " + node);
    ExpectNoHole(seqs_b, "replica B, " + node);
  }

  // A bundle asked of B (second in every agent's list) is uploaded to B, the replica that asked.
  std::string bundle_b = dir + "/v2-bundle.tar.gz";
  testing::ShellResult via_b = Shell(absl::StrCat(
      BinaryPath("gutsctl"), " --insecure --collector ", kReplica[1],
      " diag collect --node v2 --since 5m --timeout 60s --output ", bundle_b, " 2>&1"));
  EXPECT_EQ(via_b.exit_code, 0) << via_b.output;
  EXPECT_EQ(Shell(absl::StrCat("tar tzf ", bundle_b, " >/dev/null")).exit_code, 0) << via_b.output;

  // gutsctl names where it answers from and shows both replicas' views.
  // B hears every node again once its replay has caught up; right after the seq audit it may
  // still hold a COLLECTOR_UNREACHABLE for a node whose live snapshots queue behind the replay.
  testing::ShellResult all;
  auto b_hears_all = [&] {
    all = Shell(absl::StrCat(BinaryPath("gutsctl"), " --insecure --collector ", kReplica[0], ",",
                             kReplica[1], " --all-collectors --no-color fleet status 2>&1"));
    return all.output.find(absl::StrCat(kReplica[1], "  hears 7 of 7")) != std::string::npos;
  };
  EXPECT_TRUE(WaitUntil(b_hears_all, absl::Seconds(30))) << all.output;
  EXPECT_NE(all.output.find("COLLECTOR REPLICAS"), std::string::npos) << all.output;

  // B came back holding the split it had open when it died. Its fresh analysis finds it healed
  // and resolves it without ever pushing it as firing: Alertmanager paged the split once and
  // resolved it once, and nothing else paged (no transient silence of B's own start).
  std::vector<v1::Incident> incidents_b_after;
  ASSERT_TRUE(WaitUntil(
      [&] {
        incidents_b_after = b.Incidents();
        return Find(incidents_b_after, v1::PARTITION_NO_QUORUM, v1::OPEN) == nullptr;
      },
      absl::Seconds(30)))
      << "the returning replica should resolve the healed split; logs in " << dir;
  // Longer than Alertmanager's group_wait + group_interval: a re-fire would have paged by now.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_EQ(inbox.Count(kSplitAlert, "firing"), 1) << inbox.Dump();
  EXPECT_EQ(inbox.Count(kSplitAlert, "resolved"), 1) << inbox.Dump();
  EXPECT_EQ(inbox.Total(), 2) << inbox.Dump();
  // Nothing here exhausts a collector's descriptors: a restart of its gRPC server is a fault.
  for (int i = 0; i < 2; ++i) {
    std::string log = absl::StrCat(dir, "/collector-", i, ".log");
    EXPECT_EQ(ReadFileOrEmpty(log).find("restarting the gRPC server"), std::string::npos) << log;
  }

  am.Stop();
}

}  // namespace
}  // namespace guts
