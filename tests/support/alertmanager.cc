#include "tests/support/alertmanager.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace guts::testing {
namespace {

bool IsGroupOf(const nlohmann::json& page, const std::string& alertname) {
  return page.is_object() && page.contains("groupLabels") && page["groupLabels"].is_object() &&
         page["groupLabels"].value("alertname", "") == alertname;
}

}  // namespace

int FreeLoopbackPort() {
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

PagerInbox::PagerInbox() {
  server_.set_payload_max_length(1 << 20);
  server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
    absl::MutexLock lock(&mu_);
    pages_.push_back(nlohmann::json::parse(req.body, nullptr, false));
    res.status = 200;
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) absl::SleepFor(absl::Milliseconds(5));
}

PagerInbox::~PagerInbox() {
  server_.stop();
  thread_.join();
}

int PagerInbox::Count(const std::string& alertname, const std::string& status) {
  absl::MutexLock lock(&mu_);
  int n = 0;
  for (const nlohmann::json& p : pages_) {
    n += IsGroupOf(p, alertname) && p.value("status", "") == status;
  }
  return n;
}

bool PagerInbox::WaitCount(const std::string& alertname, const std::string& status, int n,
                           absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (Count(alertname, status) >= n) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

std::vector<nlohmann::json> PagerInbox::Pages(const std::string& alertname) {
  absl::MutexLock lock(&mu_);
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& p : pages_) {
    if (IsGroupOf(p, alertname)) out.push_back(p);
  }
  return out;
}

int PagerInbox::Total() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(pages_.size());
}

nlohmann::json PagerInbox::Last() {
  absl::MutexLock lock(&mu_);
  return pages_.empty() ? nlohmann::json() : pages_.back();
}

std::string PagerInbox::Dump() {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const nlohmann::json& p : pages_) {
    if (!p.is_object()) {
      out += "(not JSON)\n";
      continue;
    }
    absl::StrAppend(&out, p.value("status", "?"), " ",
                    p.contains("groupLabels") ? p["groupLabels"].dump() : "{}", " ",
                    p.contains("alerts") ? p["alerts"].size() : 0, " alert(s)\n");
  }
  return out;
}

Alertmanager::Alertmanager(const std::string& dir, int hook_port)
    : dir_(dir), port_(FreeLoopbackPort()) {
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

void Alertmanager::Start() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kAlertmanagerBinary, "--config.file=" + dir_ + "/alertmanager.yml",
                               "--storage.path=" + dir_ + "/data",
                               absl::StrCat("--web.listen-address=127.0.0.1:", port_),
                               "--cluster.listen-address=", "--log.level=debug"},
      dir_ + "/alertmanager.log");
}

void Alertmanager::Stop() {
  if (process_ != nullptr) process_->Stop(SIGTERM, absl::Seconds(20));
}

bool Alertmanager::WaitReady(absl::Duration timeout) {
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(1);
  c.set_read_timeout(2);
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto r = c.Get("/-/ready");
    if (r && r->status == 200) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

std::string Alertmanager::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

nlohmann::json Alertmanager::Alerts() {
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto r = c.Get("/api/v2/alerts");
  if (!r || r->status != 200) return nullptr;
  nlohmann::json alerts = nlohmann::json::parse(r->body, nullptr, false);
  return alerts.is_array() ? alerts : nlohmann::json();
}

nlohmann::json Alertmanager::FindAlert(const std::string& alertname) {
  nlohmann::json alerts = Alerts();
  if (!alerts.is_array()) return nullptr;
  for (const nlohmann::json& a : alerts) {
    if (a.is_object() && a.contains("labels") && a["labels"].value("alertname", "") == alertname) {
      return a;
    }
  }
  return nullptr;
}

bool Alertmanager::WaitAlertState(const std::string& alertname, const std::string& state,
                                  absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    nlohmann::json a = FindAlert(alertname);
    if (!a.is_null() && a["status"].value("state", "") == state) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

}  // namespace guts::testing
