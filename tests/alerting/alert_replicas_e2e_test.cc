// Two collector replicas paging through the real Alertmanager (Debian's prometheus-alertmanager,
// on loopback), each replica's alert pusher with its own RocksDB store, the way two
// guts-collector processes push (collector/alerting/alert_pusher.h). The pushers are driven
// directly, so that one replica can see a cause the other does not, on cue.
//
//   1. What Alertmanager does (the reason for the design): of two senders of one label set, the
//      youngest explicit resolution wins, so a replica resolving while the other fires resolves
//      the page, and the other's next re-send fires it again: a flap.
//   2. Two replicas page a split once (identical labels), while each one's COLLECTOR_DEGRADED is
//      its own alert (labels name the replica). One replica stops seeing the split: the page
//      stays firing, without a resolved notification, for many resend intervals. The other
//      resolves it: exactly one resolved notification.
//
// Alertmanager groups with group_wait 1s and group_interval 2s (tests/support/alertmanager.h);
// the pushers re-send every second and settle two seconds.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "collector/alerting/alert_endpoint.h"
#include "collector/alerting/alert_pusher.h"
#include "collector/store/store.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/alertmanager.h"
#include "tests/support/child_process.h"

namespace guts::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::guts::collector::AlertPusher;
using ::guts::collector::AlertPusherOptions;
using ::guts::collector::Store;

constexpr char kSplit[] = "PARTITION_NO_QUORUM";
constexpr char kDegraded[] = "COLLECTOR_DEGRADED";

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// The alerts Alertmanager holds unresolved under `alertname`.
std::vector<nlohmann::json> Held(Alertmanager& am, const std::string& alertname) {
  std::vector<nlohmann::json> out;
  nlohmann::json all = am.Alerts();
  if (!all.is_array()) return out;
  for (const nlohmann::json& a : all) {
    if (a["labels"].value("alertname", "") == alertname) out.push_back(a);
  }
  return out;
}

v1::Incident Incident(const std::string& id, v1::IncidentKind kind, v1::Severity severity,
                      const std::string& cause_key) {
  v1::Incident i;
  i.set_id(id);
  i.set_kind(kind);
  i.set_severity(severity);
  i.set_state(v1::OPEN);
  i.set_summary(cause_key);
  i.set_cause_key(cause_key);
  i.set_opened_unix_ms(absl::ToUnixMillis(absl::Now()));
  return i;
}

v1::Incident Resolved(v1::Incident i) {
  i.set_state(v1::RESOLVED);
  i.set_resolved_unix_ms(absl::ToUnixMillis(absl::Now()));
  return i;
}

// One collector replica's alerting: its store and its pusher.
struct Replica {
  std::unique_ptr<Store> store;
  std::unique_ptr<AlertPusher> pusher;
};

Replica StartReplica(const std::string& dir, const std::string& name, const std::string& am_url) {
  Replica r;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return r;
  r.store = *std::move(store);
  AlertPusherOptions o{.endpoints = {{.url = am_url, .timeout = absl::Seconds(5)}},
                       .resend_interval = absl::Seconds(1),
                       .resolved_retention = absl::Minutes(1),
                       .min_backoff = absl::Milliseconds(200),
                       .max_backoff = absl::Seconds(1),
                       .replica_settle = absl::Seconds(2)};
  o.context.network = "e2e";
  o.context.replica = name;
  absl::StatusOr<std::unique_ptr<AlertPusher>> pusher = AlertPusher::Start(r.store.get(), o);
  EXPECT_TRUE(pusher.ok()) << pusher.status();
  if (pusher.ok()) r.pusher = *std::move(pusher);
  return r;
}

class AlertReplicasE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kAlertmanagerBinary))
        << "install prometheus-alertmanager (scripts/apt-packages.txt)";
    dir_ = FreshTempDir("alert_replicas_e2e");
    am_ = std::make_unique<Alertmanager>(dir_ + "/am", inbox_.port());
    am_->Start();
    ASSERT_TRUE(am_->WaitReady(absl::Seconds(30))) << "see " << dir_ << "/am/alertmanager.log";
  }
  void TearDown() override {
    if (am_) am_->Stop();
  }

  PagerInbox inbox_;
  std::string dir_;
  std::unique_ptr<Alertmanager> am_;
};

// Alertmanager's own rule, which the pusher works around: the younger of two updates of one
// label set is authoritative, and an explicit resolution (endsAt past) resolves the alert even
// though the other sender's endsAt is still ahead; the other's next re-send fires it again.
TEST_F(AlertReplicasE2E, AlertmanagerLetsTheYoungestResolutionWin) {
  httplib::Client c("127.0.0.1", std::stoi(am_->url().substr(am_->url().rfind(':') + 1)));
  c.set_read_timeout(5);
  absl::Time start = absl::Now() - absl::Seconds(30);
  auto post = [&](const std::string& replica, absl::Time ends_at) {
    nlohmann::json alert = {
        {"labels", {{"alertname", kSplit}, {"network", "e2e"}, {"incident_id", "PARTITION"}}},
        {"annotations", {{"collector_replica", replica}}},
        {"startsAt", Rfc3339(start)},
        {"endsAt", Rfc3339(ends_at)}};
    auto res = c.Post("/api/v2/alerts", nlohmann::json::array({alert}).dump(), "application/json");
    return res && res->status == 200;
  };
  ASSERT_TRUE(post("c0", absl::Now() + absl::Minutes(4)));  // c0 fires, valid 4 minutes
  ASSERT_EQ(Held(*am_, kSplit).size(), 1u);
  ASSERT_TRUE(post("c1", absl::Now() - absl::Seconds(1)));  // c1 resolves
  EXPECT_TRUE(Held(*am_, kSplit).empty())
      << "Alertmanager kept c0's firing alert over c1's younger resolution";
  ASSERT_TRUE(post("c0", absl::Now() + absl::Minutes(4)));  // c0's next re-send
  std::vector<nlohmann::json> held = Held(*am_, kSplit);
  ASSERT_EQ(held.size(), 1u) << "c0's re-send did not fire the alert again";
  EXPECT_EQ(held[0]["annotations"].value("collector_replica", ""), "c0")
      << "Alertmanager keeps the last sender's annotations";
}

TEST_F(AlertReplicasE2E, TwoReplicasOneSeeingTheSplitPageOnceAndDoNotFlap) {
  Replica c0 = StartReplica(dir_ + "/c0", "c0", am_->url());
  Replica c1 = StartReplica(dir_ + "/c1", "c1", am_->url());
  ASSERT_TRUE(c0.pusher && c1.pusher);
  // Each replica has its own incident ids and opening times; the cause is the same.
  v1::Incident split0 = Incident("inc-c0-4", v1::PARTITION_NO_QUORUM, v1::P1, "PARTITION");
  v1::Incident degraded0 =
      Incident("inc-c0-5", v1::COLLECTOR_DEGRADED, v1::P2, "COLLECTOR_DEGRADED");
  absl::SleepFor(absl::Milliseconds(300));
  v1::Incident split1 = Incident("inc-c1-9", v1::PARTITION_NO_QUORUM, v1::P1, "PARTITION");
  v1::Incident degraded1 =
      Incident("inc-c1-2", v1::COLLECTOR_DEGRADED, v1::P2, "COLLECTOR_DEGRADED");
  c0.pusher->Observe({split0, degraded0}, {}, absl::Now());
  c1.pusher->Observe({split1, degraded1}, {}, absl::Now());

  // The split is one alert, paged once; each replica's degradation is an alert of its own.
  ASSERT_TRUE(inbox_.WaitCount(kSplit, "firing", 1, absl::Seconds(20))) << inbox_.Dump();
  ASSERT_TRUE(inbox_.WaitCount(kDegraded, "firing", 1, absl::Seconds(20))) << inbox_.Dump();
  std::vector<nlohmann::json> held = Held(*am_, kSplit);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_FALSE(held[0]["labels"].contains("collector_replica")) << held[0].dump(2);
  std::set<std::string> degraded_replicas;
  for (const nlohmann::json& a : Held(*am_, kDegraded)) {
    degraded_replicas.insert(a["labels"].value("collector_replica", "(none)"));
  }
  EXPECT_EQ(degraded_replicas, (std::set<std::string>{"c0", "c1"}));

  // c1 stops seeing the split (it sees the other half); c0 still sees it. For 12 s (twelve
  // resends, six group intervals, past the 2 s settle) the page stays firing.
  c1.pusher->Observe({degraded1}, {Resolved(split1)}, absl::Now());
  absl::Time until = absl::Now() + absl::Seconds(12);
  int polls = 0, not_firing = 0;
  while (absl::Now() < until) {
    std::vector<nlohmann::json> now_held = Held(*am_, kSplit);
    ++polls;
    if (now_held.size() != 1 || now_held[0]["status"].value("state", "") != "active") {
      ++not_firing;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(not_firing, 0) << "of " << polls << " polls, the split was not firing in "
                           << not_firing;
  EXPECT_EQ(inbox_.Count(kSplit, "firing"), 1) << inbox_.Dump();
  EXPECT_EQ(inbox_.Count(kSplit, "resolved"), 0) << "the split flapped:\n" << inbox_.Dump();
  EXPECT_GT(c1.pusher->Figures().resolutions_left_to_other_replica, 0u)
      << "c1 never read that c0 still fired the split";

  // c0 sees the heal too: one resolved notification, and nothing fires again.
  c0.pusher->Observe({degraded0}, {Resolved(split0)}, absl::Now());
  ASSERT_TRUE(inbox_.WaitCount(kSplit, "resolved", 1, absl::Seconds(20))) << inbox_.Dump();
  absl::SleepFor(absl::Seconds(5));
  EXPECT_TRUE(Held(*am_, kSplit).empty());
  EXPECT_EQ(inbox_.Count(kSplit, "firing"), 1) << inbox_.Dump();
  EXPECT_EQ(inbox_.Count(kSplit, "resolved"), 1) << inbox_.Dump();

  // A replica's own fact resolves on its own: c0's degradation ends, c1's still fires.
  c0.pusher->Observe({}, {Resolved(degraded0)}, absl::Now());
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  std::vector<nlohmann::json> degraded;
  while (absl::Now() < deadline) {
    degraded = Held(*am_, kDegraded);
    if (degraded.size() == 1) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(degraded.size(), 1u);
  EXPECT_EQ(degraded[0]["labels"].value("collector_replica", ""), "c1");
  c0.pusher->Stop();
  c1.pusher->Stop();
}

}  // namespace
}  // namespace guts::testing
