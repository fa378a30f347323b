// A guts-sim child process for end-to-end tests: started with a ready file, driven through
// its control API, observed through its nodes' HTTP APIs and the kernel's socket table.
//
// Example:
//   SimRun sim("five_two", "127.40.0.10", 7, {"--time-scale", "0.2"});
//   ASSERT_TRUE(sim.status().ok()) << sim.status();
//   ASSERT_TRUE(sim.Ctl({"partition", "v1,v2|v3"}).ok());
//   uint64_t h = sim.Height(0);
//
// Not thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/child_process.h"

namespace guts::sim {

class SimRun {
 public:
  SimRun(const std::string& name, const std::string& base_ip, int nodes,
         std::vector<std::string> extra_args);
  const absl::Status& status() const { return status_; }

  // POSTs a control command; the error text on failure.
  absl::StatusOr<nlohmann::json> Ctl(const std::vector<std::string>& args);
  // GET <node i's API><path>: the status code and parsed body.
  absl::StatusOr<std::pair<int, nlohmann::json>> Get(int i, const std::string& path,
                                                     std::string* raw = nullptr);
  uint64_t Height(int i);
  uint64_t View(int i);
  std::string BlockIdAt(int i, uint64_t height);
  std::string Ip(int i) const;
  const std::string& dir() const { return dir_; }
  // Sleeps for `d` of simulated time (scaled).
  void Wait(absl::Duration d) const { absl::SleepFor(d * scale_); }

 private:
  std::string dir_;
  std::string base_ip_;
  double scale_ = 1;
  std::string control_;
  std::unique_ptr<guts::testing::ChildProcess> process_;
  absl::Status status_;
};

// Last receive age (ms) of the established session from `from_ip` into `to_ip`:`port`, as the
// kernel reports it (`ss -ti`, tcp_info's last_data_recv); -1 when there is no such session.
// ss prints `lastrcv:` only when it is non-zero, so a session without it heard data this very
// millisecond: 0.
long LastReceiveMs(const std::string& to_ip, const std::string& from_ip, int port = 9000);

}  // namespace guts::sim
