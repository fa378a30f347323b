// The scenario runner: one SCENARIOS.md row run against real processes. A Fleet is guts-sim,
// one real guts-agent per node and a real guts-collector (all --insecure, on a loopback range of
// its own); RunScenario injects the fault, polls the collector's FleetService, asserts the
// incident's kind, severity and names, the time to detect, the clearing after the heal and that
// nothing else opened, and adds one row to the table the suite prints at exit:
//   | id | verdicts | time to detect | time to clear | false positives |
//
// GUTS_SCENARIO_BUDGET_FACTOR (default 1.0) multiplies every time budget, for slow machines.
//
// Time scale: a Scenario's durations are real-scale values. With time_scale s the whole
// pipeline runs s times real time: the sim gets --time-scale s, every agent --interval 1s x s,
// the collector --tick 1s x s, --analysis-time-scale s and --stall-threshold x s, and every
// budget and wait here (detect, observe, hold, clear, settle, the healthy wait) is multiplied
// by s. At s = 1 nothing extra is passed.
//
// Example:
//   Scenario sc{.id = "S09", .faults = {{"kill", "v4"}}, .heals = {{"restart", "v4"}},
//               .stop_agent = "v4", .kind = v1::NODE_DOWN, .severity = v1::P2,
//               .names = {"v4"}};
//   RunScenario(sc, /*range=*/149);   // the fleet lives on 127.149.0.0/16
//
// Not thread-safe: one scenario per test process (ctest runs each test in its own).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"

namespace guts::testing {

namespace v1 = ::guts::diag::v1;

// GUTS_SCENARIO_BUDGET_FACTOR, or 1.0.
double BudgetFactor();

// The time scale of the compressed-time suites (soaks, collector overload):
// GUTS_SCENARIO_TIME_SCALE when set; otherwise 0.1 on a machine that keeps up, compressing less
// in proportion when the one-minute load average is above the number of cores (at most five
// times less). A compressed fleet's windows are tenths of a second, which a starved machine
// cannot keep: its agents and sim fall behind and look silent. The verdicts and real-scale
// budgets asserted are the same at any scale.
double CompressedTimeScale();

// {"v<first>", ..., "v<last>"}, sorted as strings (the order incidents list nodes in).
std::vector<std::string> V(int first, int last);

struct FleetOptions {
  int nodes = 7;
  int range = 0;  // the fleet's loopback range: 127.<range>.0.0/16
  absl::Duration stall_threshold = absl::ZeroDuration();  // zero: the collector's default
  std::vector<std::string> collector_args;                // appended to its command line
  std::vector<std::string> sim_args;                      // appended to `guts-sim run`
  double time_scale = 1.0;  // see the header comment; stall_threshold is real-scale
  // Nodes that get an agent (empty: every node); the others are unobserved validators.
  std::vector<std::string> agents_on;
};

class Fleet {
 public:
  Fleet(const std::string& name, const FleetOptions& options);
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Waits for the sim's and the collector's ready files, then starts every agent.
  absl::Status Start();

  // Starts (or restarts) the agent of `node` ("v3"); `prefix` goes before the agent's binary
  // (e.g. {"env", "FAKETIME=+5m", ...}), `extra_args` after its usual flags.
  void StartAgent(const std::string& node, const std::vector<std::string>& prefix = {},
                  const std::vector<std::string>& extra_args = {});
  void StopAgent(const std::string& node);
  // Sends `signal` to the agent of `node` (SIGSTOP/SIGCONT pause it); false if it is not running.
  // May be called from a Scenario::during thread.
  bool SignalAgent(const std::string& node, int signal);

  // Applies `guts-sim ctl <command...>` to this fleet's sim: POSTed to its control API from
  // this process (starting guts-sim ctl took a large part of a second on a busy host, which
  // stretched a compressed run's faults). Each call is a line of <dir>/ctl.log.
  absl::Status Ctl(const std::vector<std::string>& command);
  // The network's state as the sim sees it (`guts-sim ctl status`).
  absl::StatusOr<nlohmann::json> SimStatus();
  // May be called from a Scenario::during thread.
  absl::StatusOr<std::vector<v1::Incident>> Incidents(bool include_resolved);
  absl::StatusOr<v1::FleetStatus> Status();
  // Waits until every node is reported HEALTHY with a height.
  bool WaitHealthy(absl::Duration timeout);

  const std::string& dir() const { return dir_; }
  const std::string& collector_grpc() const { return grpc_; }
  const std::string& collector_http() const { return http_; }
  pid_t collector_pid() const { return collector_->pid(); }
  double time_scale() const { return options_.time_scale; }
  // `d` (a real-scale duration) at this fleet's time scale.
  absl::Duration Scaled(absl::Duration d) const { return d * options_.time_scale; }
  std::string NodeIp(int i) const;

 private:
  FleetOptions options_;
  std::string dir_, base_, control_, grpc_, http_;
  int status_calls_ = 0;
  std::unique_ptr<ChildProcess> sim_, collector_;
  std::map<std::string, std::unique_ptr<ChildProcess>> agents_;
  std::unique_ptr<v1::FleetService::Stub> stub_;
};

struct Scenario {
  std::string id;
  int nodes = 7;
  std::vector<std::vector<std::string>> faults;  // guts-sim ctl commands
  std::vector<std::vector<std::string>> heals;
  // Faults the sim cannot inject (kernel rules, the agents' side): run after `faults`, and
  // `heal` after `heals`. A failing status fails the test.
  std::function<absl::Status(Fleet&)> inject;
  std::function<absl::Status(Fleet&)> heal;
  std::string stop_agent;                                 // the fault also kills this node's agent
  v1::IncidentKind kind = v1::INCIDENT_KIND_UNSPECIFIED;  // UNSPECIFIED: nothing may open
  v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
  std::vector<std::string> names;                // incident nodes, sorted
  std::vector<std::vector<std::string>> groups;  // incident groups, sorted (when given)
  absl::Duration detect_budget = absl::Seconds(10);
  absl::Duration observe = absl::Seconds(30);  // decoys: how long nothing may open
  // Kinds that may open beside the expected one without counting as false positives.
  std::set<v1::IncidentKind> tolerated;
  // Kinds that must open beside the expected one while the fault holds (S19: QUORUM_AT_RISK).
  std::set<v1::IncidentKind> required;
  // The expected incident's links, in order, as (from, to) (S06: the dropped direction).
  std::vector<std::pair<std::string, std::string>> links;
  // P3 incidents of exactly these kinds are notes, not false positives (S21: maintenance pages
  // nobody, and a restarted node's NODE_DOWN is capped at P3); the row lists them beside the
  // verdict. Any other kind, and any of these above P3, is a false positive.
  std::set<v1::IncidentKind> notes;
  // How many episodes the expected incident has by the end of the row (incident.proto: a cause
  // that clears and comes back within the reopen cooldown reopens its incident). Any other
  // count fails the row: an unexpected reopen under a steady fault, or a second episode that
  // was never reported. With more than one, the incident must be open under the fault.
  int episodes = 1;
  // S18: the incident's height (and each group's) must be the lowest height a running node
  // reports right after the injection (a fork whose groups both lack the quorum stops there).
  bool height_at_injection = false;
  absl::Duration stall_threshold = absl::ZeroDuration();  // the collector's --stall-threshold
  std::vector<std::string> collector_args;
  std::string summary_contains;  // e.g. the cause of a CONSENSUS_STUCK
  // S13: the fault kills whichever node leads at injection time (node and agent), the heal
  // restarts it, and the incident must name it; the views must climb past the dead leader.
  bool kill_leader = false;
  // How long the fault stays in place after the expected incident opened, before the heal.
  absl::Duration hold = absl::ZeroDuration();
  // How long to keep watching after everything cleared (a decoy's recovery: nothing reopens).
  absl::Duration watch_after_clear = absl::ZeroDuration();
  // The whole pipeline at this fraction of real time (see the header comment).
  double time_scale = 1.0;
  // Runs on a thread of its own from the injection until the heal (a decoy: until the end of
  // `observe`), for faults that go on (flapping, pauses); it must return soon after `stop`
  // turns true. Only Ctl, SignalAgent and the accessors may be used from it.
  std::function<void(Fleet&, const std::atomic<bool>& stop)> during;
  // Called once the fleet is healthy, before the fault (e.g. to restart an agent differently).
  std::function<absl::Status(Fleet&)> prepare;
  // Appended to `guts-sim run` (e.g. {"--data-dir-size", "64m"}).
  std::vector<std::string> sim_args;
  // Nodes that get an agent (empty: all); the rest run without one (S25, S26).
  std::vector<std::string> agents_on;
  // Called once everything cleared (a decoy: at the end of `observe`), with the fleet still up
  // (e.g. to check the stored history or the fleet status); a failing status fails the test.
  std::function<absl::Status(Fleet&)> verify;
};

// Whether GUTS_SCENARIO_MODE=simplex: rows whose verdict depends on the mode's quorum rule
// (weights count in simulation mode only) say so with it.
bool SimplexMode();

// Runs `sc` on a fresh fleet in 127.<range>.0.0/16 with gtest assertions, and adds its row to
// the table printed when the test program exits.
// With GUTS_SCENARIO_MODE=simplex in the environment, a row without its own --mode runs in
// Simplex mode on SimplexRange(range) (ctest registers the suites once per mode).
void RunScenario(Scenario sc, int range);
// The suites' ranges 141..181 mirrored to 254..214, so both modes can run side by side.
inline constexpr int SimplexRange(int range) { return 395 - range; }

}  // namespace guts::testing
