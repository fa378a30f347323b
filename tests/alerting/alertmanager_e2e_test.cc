// The on-call loop end to end: guts-sim with seven nodes, an agent each, a real guts-collector
// pushing to the real Alertmanager (Debian's prometheus-alertmanager, on loopback), whose
// webhook receiver is this test's own HTTP server.
//
// One fleet, in order:
//   1. a 4|3 split pages once, as one group;
//   2. Alertmanager restarts while the split holds: nothing is paged again, and it holds the
//      alert again within a resend;
//   3. Alertmanager goes down, the split heals while it is down, it comes back: the page
//      resolves (the resolution waited in the collector's outbox);
//   4. a silence made with amtool silences the same split when it comes back.
//
// Timing: the pipeline runs at 0.2 of real time; Alertmanager groups with group_wait 1s and
// group_interval 2s, and the collector re-sends every second.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/scenarios/scenario_runner.h"
#include "tests/support/child_process.h"

namespace guts::testing {
namespace {

constexpr char kAlertmanager[] = "/usr/bin/prometheus-alertmanager";
constexpr char kAmtool[] = "/usr/bin/amtool";
constexpr char kSplitAlert[] = "PARTITION_NO_QUORUM";

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// The pages Alertmanager sends: every webhook notification it POSTs, in order.
class PagerInbox {
 public:
  PagerInbox() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      pages_.push_back(nlohmann::json::parse(req.body, nullptr, false));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) absl::SleepFor(absl::Milliseconds(5));
  }
  ~PagerInbox() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

  // Notifications of the split's group with `status` ("firing" or "resolved").
  int Count(const std::string& status) {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const nlohmann::json& p : pages_) n += IsSplit(p) && p.value("status", "") == status;
    return n;
  }
  nlohmann::json Last() {
    absl::MutexLock lock(&mu_);
    return pages_.empty() ? nlohmann::json() : pages_.back();
  }
  std::string Dump() {
    absl::MutexLock lock(&mu_);
    std::string out;
    for (const nlohmann::json& p : pages_) {
      absl::StrAppend(&out, p.value("status", "?"), " ", p["groupLabels"].dump(), " ",
                      p["alerts"].size(), " alert(s)\n");
    }
    return out;
  }
  bool WaitCount(const std::string& status, int n, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (Count(status) >= n) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }

 private:
  static bool IsSplit(const nlohmann::json& p) {
    return p.is_object() && p["groupLabels"].value("alertname", "") == kSplitAlert;
  }
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  absl::Mutex mu_;
  std::vector<nlohmann::json> pages_;
};

// A real Alertmanager on loopback, with its data (silences, notification log) in `dir`.
class Alertmanager {
 public:
  Alertmanager(const std::string& dir, int hook_port) : dir_(dir), port_(FreePort()) {
    std::filesystem::create_directories(dir + "/data");
    std::ofstream(dir + "/alertmanager.yml") << absl::StrCat(R"(
global:
  resolve_timeout: 20s
route:
  receiver: pager
  group_by: [network, alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: pager
    webhook_configs:
      - url: http://127.0.0.1:)",
                                                             hook_port, R"(/hook
        send_resolved: true
)");
  }
  void Start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kAlertmanager, "--config.file=" + dir_ + "/alertmanager.yml",
                                 "--storage.path=" + dir_ + "/data",
                                 absl::StrCat("--web.listen-address=127.0.0.1:", port_),
                                 "--cluster.listen-address=", "--log.level=debug"},
        dir_ + "/alertmanager.log");
  }
  // SIGTERM: Alertmanager writes its notification log and silences before it exits.
  void Stop() { process_->Stop(SIGTERM, absl::Seconds(20)); }
  bool WaitReady(absl::Duration timeout) {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(1);
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      auto r = c.Get("/-/ready");
      if (r && r->status == 200) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

  // The split's alert as Alertmanager holds it (GET /api/v2/alerts), or null.
  nlohmann::json SplitAlert() {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get("/api/v2/alerts");
    if (!r || r->status != 200) return nullptr;
    for (const nlohmann::json& a : nlohmann::json::parse(r->body, nullptr, false)) {
      if (a["labels"].value("alertname", "") == kSplitAlert) return a;
    }
    return nullptr;
  }
  // Waits until the split's alert is held in `state` ("active", "suppressed").
  bool WaitSplitState(const std::string& state, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      nlohmann::json a = SplitAlert();
      if (!a.is_null() && a["status"].value("state", "") == state) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

TEST(AlertmanagerE2E, SplitPagesOnceSurvivesRestartsResolvesAndIsSilenced) {
  ASSERT_TRUE(std::filesystem::exists(kAlertmanager))
      << "install prometheus-alertmanager (scripts/apt-packages.txt)";
  PagerInbox inbox;
  std::string dir = FreshTempDir("alertmanager_e2e");
  Alertmanager am(dir + "/am", inbox.port());
  am.Start();
  ASSERT_TRUE(am.WaitReady(absl::Seconds(30))) << "see " << dir << "/am/alertmanager.log";

  Fleet fleet("alertmanager_e2e_fleet",
              {.nodes = 7,
               .range = 175,
               .collector_args = {"--alertmanager-url", am.url(), "--alert-resend-interval", "1s",
                                  "--network-name", "e2e", "--alert-resolved-retention", "5m"},
               .time_scale = 0.2});
  ASSERT_TRUE(fleet.Start().ok());
  ASSERT_TRUE(fleet.WaitHealthy(absl::Seconds(60) * BudgetFactor()));
  absl::Duration budget = absl::Seconds(30) * BudgetFactor();

  // 1. The split pages once, as one group.
  ASSERT_TRUE(fleet.Ctl({"partition", "v1,v2,v3,v4|v5,v6,v7"}).ok());
  ASSERT_TRUE(inbox.WaitCount("firing", 1, budget)) << inbox.Dump();
  nlohmann::json page = inbox.Last();
  ASSERT_EQ(page["alerts"].size(), 1u) << page.dump(2);
  const nlohmann::json& alert = page["alerts"][0];
  EXPECT_EQ(alert["labels"]["severity"], "P1");
  EXPECT_EQ(alert["labels"]["network"], "e2e");
  EXPECT_EQ(alert["labels"]["incident_id"], "PARTITION");
  EXPECT_NE(alert["annotations"]["description"].get<std::string>().find("side v1,v2,v3,v4"),
            std::string::npos)
      << alert.dump(2);
  EXPECT_NE(alert["annotations"]["command"].get<std::string>().find("gutsctl net partitions"),
            std::string::npos);

  // 2. Alertmanager restarts while the split holds: it holds the alert again, pages nobody.
  am.Stop();
  absl::SleepFor(absl::Seconds(2));
  am.Start();
  ASSERT_TRUE(am.WaitReady(absl::Seconds(30)));
  ASSERT_TRUE(am.WaitSplitState("active", absl::Seconds(10))) << "the collector did not re-send";
  absl::SleepFor(absl::Seconds(6));  // group_wait + two group intervals
  EXPECT_EQ(inbox.Count("firing"), 1) << inbox.Dump();

  // 3. Alertmanager is down while the split heals; once back, the page resolves.
  am.Stop();
  ASSERT_TRUE(fleet.Ctl({"heal"}).ok());
  absl::Time deadline = absl::Now() + budget;
  bool resolved = false;
  while (!resolved && absl::Now() < deadline) {
    absl::StatusOr<std::vector<v1::Incident>> incidents = fleet.Incidents(true);
    if (incidents.ok()) {
      for (const v1::Incident& i : *incidents) {
        resolved |= i.kind() == v1::PARTITION_NO_QUORUM && i.state() == v1::RESOLVED;
      }
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  ASSERT_TRUE(resolved) << "the collector did not resolve the split";
  absl::SleepFor(absl::Seconds(2));  // the collector's pushes fail meanwhile
  am.Start();
  ASSERT_TRUE(am.WaitReady(absl::Seconds(30)));
  ASSERT_TRUE(inbox.WaitCount("resolved", 1, budget)) << inbox.Dump();
  EXPECT_EQ(inbox.Count("firing"), 1) << inbox.Dump();

  // 4. A silence made in Alertmanager silences the split when it comes back.
  ShellResult silence =
      Shell(absl::StrCat(kAmtool, " --alertmanager.url=", am.url(),
                         " silence add alertname=PARTITION_NO_QUORUM network=e2e --duration=1h"
                         " --author=e2e --comment='maintenance drill' 2>&1"));
  ASSERT_EQ(silence.exit_code, 0) << silence.output;
  ASSERT_TRUE(fleet.Ctl({"partition", "v1,v2,v3,v4|v5,v6,v7"}).ok());
  ASSERT_TRUE(am.WaitSplitState("suppressed", budget)) << am.SplitAlert().dump(2);
  EXPECT_FALSE(am.SplitAlert()["status"]["silencedBy"].empty());
  absl::SleepFor(absl::Seconds(6));
  EXPECT_EQ(inbox.Count("firing"), 1) << "a silenced split paged:\n" << inbox.Dump();
  ASSERT_TRUE(fleet.Ctl({"heal"}).ok());
  am.Stop();
}

}  // namespace
}  // namespace guts::testing
