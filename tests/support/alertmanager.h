// A real Alertmanager (Debian's prometheus-alertmanager) on loopback for end-to-end tests, and
// PagerInbox, the webhook receiver it pages: this test's own HTTP server.
//
// Example:
//   PagerInbox inbox;
//   Alertmanager am(dir + "/am", inbox.port());
//   am.Start();
//   ASSERT_TRUE(am.WaitReady(absl::Seconds(30)));
//   ... collectors with --alertmanager-url am.url() ...
//   ASSERT_TRUE(inbox.WaitCount("PARTITION_NO_QUORUM", "firing", 1, absl::Seconds(30)));
//
// Alertmanager groups by [network, alertname] with group_wait 1s, group_interval 2s and
// resolve_timeout 20s, so a test sees a page within seconds; collectors pushing to it should
// re-send at least every few seconds (--alert-resend-interval).
//
// PagerInbox is thread-safe; Alertmanager is not.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"

namespace guts::testing {

inline constexpr char kAlertmanagerBinary[] = "/usr/bin/prometheus-alertmanager";
inline constexpr char kAmtoolBinary[] = "/usr/bin/amtool";

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// The pages Alertmanager sends: every webhook notification it POSTs to /hook, in order.
class PagerInbox {
 public:
  PagerInbox();   // listens on 127.0.0.1, a free port
  ~PagerInbox();  // stops listening
  PagerInbox(const PagerInbox&) = delete;
  PagerInbox& operator=(const PagerInbox&) = delete;

  int port() const { return port_; }

  // Notifications of the group of `alertname` with `status` ("firing" or "resolved").
  int Count(const std::string& alertname, const std::string& status);
  // Waits until Count(alertname, status) >= n; false after `timeout`.
  bool WaitCount(const std::string& alertname, const std::string& status, int n,
                 absl::Duration timeout);
  // The notifications of the group of `alertname`, in order.
  std::vector<nlohmann::json> Pages(const std::string& alertname);
  int Total();            // every notification, of any group
  nlohmann::json Last();  // the last notification, or null
  std::string Dump();     // one line a notification, for failure messages

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  absl::Mutex mu_;
  std::vector<nlohmann::json> pages_ ABSL_GUARDED_BY(mu_);
};

// A real Alertmanager on loopback (a free port), with its config, data (silences, notification
// log) and log in `dir`, paging `hook_port`'s /hook.
class Alertmanager {
 public:
  Alertmanager(const std::string& dir, int hook_port);
  Alertmanager(const Alertmanager&) = delete;
  Alertmanager& operator=(const Alertmanager&) = delete;

  void Start();
  // SIGTERM: Alertmanager writes its notification log and silences before it exits.
  void Stop();
  bool WaitReady(absl::Duration timeout);
  std::string url() const;

  // The alert named `alertname` as Alertmanager holds it (GET /api/v2/alerts), or null.
  nlohmann::json FindAlert(const std::string& alertname);
  // Every alert Alertmanager holds, or null when it does not answer.
  nlohmann::json Alerts();
  // Waits until `alertname` is held in `state` ("active", "suppressed").
  bool WaitAlertState(const std::string& alertname, const std::string& state,
                      absl::Duration timeout);

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace guts::testing
