// The alert pusher against a real HTTP server on loopback that can go down and come back, and a
// real store: re-sends, backoff, the outbox of resolutions across an outage and a restart.
#include "collector/alerting/alert_pusher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

// An Alertmanager stand-in: records every body POSTed to /api/v2/alerts (or /hook).
class Receiver {
 public:
  explicit Receiver(int port = 0) { Start(port); }
  ~Receiver() { Stop(); }

  void Start(int port) {
    server_ = std::make_unique<httplib::Server>();
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      bodies_.push_back(nlohmann::json::parse(req.body));
      res.status = 200;
    };
    server_->Post("/api/v2/alerts", record);
    server_->Post("/hook", record);
    port_ = port == 0 ? server_->bind_to_any_port("127.0.0.1") : port;
    if (port != 0) server_->bind_to_port("127.0.0.1", port);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(5));
  }
  void Stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_.reset();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<nlohmann::json> Bodies() {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }
  // Waits until a body satisfies `pred`; returns it (null on timeout).
  nlohmann::json WaitFor(const std::function<bool(const nlohmann::json&)>& pred,
                         absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      for (const nlohmann::json& b : Bodies()) {
        if (pred(b)) return b;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return nullptr;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  absl::Mutex mu_;
  std::vector<nlohmann::json> bodies_;
};

v1::Incident NodeDown(const std::string& node, v1::Severity severity) {
  v1::Incident i;
  i.set_id("inc-1-" + node);
  i.set_kind(v1::NODE_DOWN);
  i.set_severity(severity);
  i.set_state(v1::OPEN);
  i.set_summary(node + " is down");
  i.add_nodes(node);
  i.set_cause_key("NODE_DOWN:" + node);
  i.set_opened_unix_ms(absl::ToUnixMillis(absl::Now()));
  return i;
}

v1::Incident Resolved(v1::Incident i) {
  i.set_state(v1::RESOLVED);
  i.set_resolved_unix_ms(absl::ToUnixMillis(absl::Now()));
  return i;
}

// The alert for `node` in an Alertmanager body, or null.
nlohmann::json Find(const nlohmann::json& body, const std::string& node,
                    const std::string& severity = "") {
  if (!body.is_array()) return nullptr;
  for (const nlohmann::json& a : body) {
    if (a["labels"].value("nodes", "") == node &&
        (severity.empty() || a["labels"]["severity"] == severity)) {
      return a;
    }
  }
  return nullptr;
}

bool EndedInThePast(const nlohmann::json& alert) {
  absl::Time ends;
  std::string err;
  return absl::ParseTime(absl::RFC3339_full, alert["endsAt"].get<std::string>(), &ends, &err) &&
         ends <= absl::Now();
}

class AlertPusherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("alert_pusher_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    OpenStore();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenStore() {
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  AlertPusherOptions Options(const std::string& url) {
    return {.endpoints = {{.url = url, .timeout = absl::Seconds(2)}},
            .resend_interval = absl::Seconds(1),
            .resolved_retention = absl::Seconds(2),
            .min_backoff = absl::Milliseconds(100),
            .max_backoff = absl::Milliseconds(400)};
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(AlertPusherTest, OpenIncidentIsPushedAtOnceAndResent) {
  Receiver am;
  auto pusher = AlertPusher::Start(store_.get(), Options(am.url()));
  ASSERT_TRUE(pusher.ok()) << pusher.status();
  (*pusher)->Observe({NodeDown("v3", v1::P2)}, {}, absl::Now());
  ASSERT_FALSE(am.WaitFor([](const auto& b) { return !Find(b, "v3").is_null(); }, absl::Seconds(5))
                   .is_null());
  absl::SleepFor(absl::Milliseconds(2500));
  int with_v3 = 0;
  for (const auto& b : am.Bodies()) with_v3 += Find(b, "v3").is_null() ? 0 : 1;
  EXPECT_GE(with_v3, 2) << "re-sent every second";
  nlohmann::json a = Find(am.Bodies().back(), "v3");
  EXPECT_FALSE(EndedInThePast(a)) << a.dump();
  EXPECT_EQ(a["labels"]["alertname"], "NODE_DOWN");
  EXPECT_EQ((*pusher)->Figures().firing, 1u);
  EXPECT_TRUE((*pusher)->Figures().endpoints[0].up);
}

TEST_F(AlertPusherTest, ResolutionSurvivesAnOutageAndACollectorRestart) {
  Receiver am;
  int port = am.port();
  auto pusher = AlertPusher::Start(store_.get(), Options(am.url()));
  ASSERT_TRUE(pusher.ok());
  v1::Incident down = NodeDown("v5", v1::P2);
  (*pusher)->Observe({down}, {}, absl::Now());
  ASSERT_FALSE(am.WaitFor([](const auto& b) { return !Find(b, "v5").is_null(); }, absl::Seconds(5))
                   .is_null());
  am.Stop();  // Alertmanager goes down; the incident resolves meanwhile
  (*pusher)->Observe({}, {Resolved(down)}, absl::Now());
  absl::SleepFor(absl::Milliseconds(800));
  AlertPusherFigures f = (*pusher)->Figures();
  EXPECT_EQ(f.resolutions_pending, 1u);
  EXPECT_FALSE(f.endpoints[0].up);
  EXPECT_GE(f.endpoints[0].pushes_failed, 2u) << "retried with backoff";
  // The collector restarts too, before Alertmanager is back.
  (*pusher)->Stop();
  pusher->reset();
  store_.reset();
  OpenStore();
  Receiver back(port);
  auto again = AlertPusher::Start(store_.get(), Options(back.url()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Figures().resolutions_pending, 1u);
  nlohmann::json body = back.WaitFor(
      [](const auto& b) {
        nlohmann::json a = Find(b, "v5");
        return !a.is_null() && EndedInThePast(a);
      },
      absl::Seconds(5));
  ASSERT_FALSE(body.is_null()) << "the resolution was lost";
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ((*again)->Figures().resolutions_pending, 0u);
  // Past the retention, the outbox is emptied from the store too.
  absl::SleepFor(absl::Seconds(3));
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> left =
      store_->Records("alerting");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

// A collector restarted after the cause healed: the incident it restored is not pushed as
// firing while it awaits confirmation; once confirmed it fires, and a restored one that
// resolves unconfirmed is sent resolved only.
TEST_F(AlertPusherTest, RestoredIncidentIsNotPushedAsFiringUntilConfirmed) {
  Receiver am;
  auto pusher = AlertPusher::Start(store_.get(), Options(am.url()));
  ASSERT_TRUE(pusher.ok());
  v1::Incident healed = NodeDown("v2", v1::P2);
  healed.set_awaiting_confirmation(true);
  v1::Incident still = NodeDown("v6", v1::P2);
  still.set_awaiting_confirmation(true);
  (*pusher)->Observe({healed, still}, {}, absl::Now());
  absl::SleepFor(absl::Milliseconds(1500));  // a resend interval and a half
  for (const nlohmann::json& b : am.Bodies()) {
    EXPECT_TRUE(Find(b, "v2").is_null() && Find(b, "v6").is_null()) << b.dump();
  }
  EXPECT_EQ((*pusher)->Figures().firing, 0u);

  still.set_awaiting_confirmation(false);
  (*pusher)->Observe({still}, {still, Resolved(healed)}, absl::Now());
  ASSERT_FALSE(am.WaitFor([](const auto& b) { return !Find(b, "v6").is_null(); }, absl::Seconds(5))
                   .is_null())
      << "the confirmed incident fires";
  nlohmann::json resolution =
      am.WaitFor([](const auto& b) { return !Find(b, "v2").is_null(); }, absl::Seconds(5));
  ASSERT_FALSE(resolution.is_null());
  for (const nlohmann::json& b : am.Bodies()) {
    nlohmann::json a = Find(b, "v2");
    if (!a.is_null()) {
      EXPECT_TRUE(EndedInThePast(a)) << "the healed one fired: " << a.dump();
    }
  }
}

TEST_F(AlertPusherTest, NewSeverityEndsTheOldLabelSetInTheSamePush) {
  Receiver am;
  auto pusher = AlertPusher::Start(store_.get(), Options(am.url()));
  ASSERT_TRUE(pusher.ok());
  v1::Incident i = NodeDown("v2", v1::P2);
  (*pusher)->Observe({i}, {}, absl::Now());
  ASSERT_FALSE(
      am.WaitFor([](const auto& b) { return !Find(b, "v2", "P2").is_null(); }, absl::Seconds(5))
          .is_null());
  i.set_severity(v1::P1);
  (*pusher)->Observe({i}, {i}, absl::Now());
  nlohmann::json body =
      am.WaitFor([](const auto& b) { return !Find(b, "v2", "P1").is_null(); }, absl::Seconds(5));
  ASSERT_FALSE(body.is_null());
  nlohmann::json old = Find(body, "v2", "P2");
  ASSERT_FALSE(old.is_null()) << body.dump();
  EXPECT_TRUE(EndedInThePast(old));
  EXPECT_FALSE(EndedInThePast(Find(body, "v2", "P1")));
}

TEST_F(AlertPusherTest, WebhookHearsOfChangesNotOfEveryResend) {
  Receiver hook;
  AlertPusherOptions o = Options(hook.url() + "/hook");
  o.endpoints[0].kind = AlertEndpoint::kWebhook;
  auto pusher = AlertPusher::Start(store_.get(), o);
  ASSERT_TRUE(pusher.ok());
  v1::Incident i = NodeDown("v1", v1::P2);
  for (int tick = 0; tick < 20; ++tick) {
    (*pusher)->Observe({i}, {}, absl::Now());
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::vector<nlohmann::json> bodies = hook.Bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["status"], "firing");
  EXPECT_EQ(bodies[0]["alerts"][0]["labels"]["nodes"], "v1");
  (*pusher)->Observe({}, {Resolved(i)}, absl::Now());
  nlohmann::json resolved =
      hook.WaitFor([](const auto& b) { return b["status"] == "resolved"; }, absl::Seconds(5));
  ASSERT_FALSE(resolved.is_null());
  EXPECT_EQ(resolved["alerts"][0]["status"], "resolved");
}

// A receiver that takes connections (the kernel's backlog completes them) and never answers, as
// an Alertmanager behind a hung proxy does: every push to it waits for its timeout. Closing it
// resets the waiting connections.
class HungReceiver {
 public:
  HungReceiver() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(addr.sin_port);
  }
  ~HungReceiver() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(AlertPusherTest, AHungEndpointHoldsUpNoOtherEndpoint) {
  HungReceiver hung;
  Receiver am;
  AlertPusherOptions o = Options(hung.url());
  // Far longer than the wait below: the hung push is still waiting while the other is checked.
  o.endpoints[0].timeout = absl::Seconds(60);
  o.endpoints.push_back({.url = am.url(), .timeout = absl::Seconds(2)});
  auto pusher = AlertPusher::Start(store_.get(), o);
  ASSERT_TRUE(pusher.ok()) << pusher.status();
  (*pusher)->Observe({NodeDown("v4", v1::P1)}, {}, absl::Now());
  // The hung endpoint is first in the list; the page still reaches the second at once and is
  // re-sent every second while the first push waits.
  auto with_v4 = [&am] {
    int n = 0;
    for (const auto& b : am.Bodies()) n += Find(b, "v4").is_null() ? 0 : 1;
    return n;
  };
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (with_v4() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_GE(with_v4(), 2);
  AlertPusherFigures f = (*pusher)->Figures();
  ASSERT_EQ(f.endpoints.size(), 2u);
  EXPECT_EQ(f.endpoints[0].pushes_ok + f.endpoints[0].pushes_failed, 0u)
      << "the hung endpoint's first push is still waiting";
  EXPECT_TRUE(f.endpoints[1].up);
  EXPECT_GE(f.endpoints[1].pushes_ok, 2u);
  hung.Close();  // the waiting push fails at once, so Stop does not wait for its timeout
  (*pusher)->Stop();
  EXPECT_EQ((*pusher)->Figures().endpoints[0].pushes_ok, 0u);
}

}  // namespace
}  // namespace guts::collector
