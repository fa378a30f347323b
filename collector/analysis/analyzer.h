// Analyzer: turns FleetViews, one per tick, into node assessments, the peer topology and
// incidents. The detectors inside are pure functions of the view (plus the short history the
// analyzer keeps between ticks); the incident manager adds hysteresis and folds symptoms under
// their cause.
//
// Example:
//   Analyzer analyzer(AnalysisConfig{});
//   analyzer.RestoreIncidents(store.LoadOpenIncidents());
//   every tick:
//     AnalysisResult r = analyzer.Tick(fleet_state.View(absl::Now()));
//     store.PutIncidents(r.changed_incidents);
//   or, keeping the storage of a result nobody reads any more:
//     r = analyzer.Tick(fleet_state.View(absl::Now()), std::move(r));
//
// Not thread-safe: call Tick() from one thread (the collector's analysis loop) and publish the
// result for readers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/analysis/node_assessments.h"
#include "collector/analysis/open_incidents.h"
#include "collector/analysis/validator_set.h"
#include "collector/fleet/fleet_view.h"
#include "guts/diag/v1/fleet.pb.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

// Every window and threshold is configurable so tests can run at a compressed time scale.
struct AnalysisConfig {
  absl::Duration tick = absl::Seconds(1);
  // Expected snapshot interval when a node did not say (Snapshot.interval_ms).
  absl::Duration default_interval = absl::Seconds(1);
  // A peer counts as heard when its session received data within this age. It bounds how fast
  // a cut link shows (docs/architecture.md, "What bounds detection time"), and must exceed the
  // longest quiet on a live link (the nodes' P2P heartbeat: 500 ms in guts-sim) by a margin.
  absl::Duration peer_heard_within = absl::Seconds(2);
  // No finalized block fleet-wide for this long: CONSENSUS_STUCK (operators' runbook: 2 min).
  absl::Duration stall_threshold = absl::Minutes(2);
  // Hysteresis: a verdict must hold this many ticks to open, be absent this many to clear.
  int enter_ticks = 3;
  int clear_ticks = 5;
  // How late a busy host may run one process: an agent reading its sources, a report on its
  // way, a tick. On the real clock and never scaled: a compressed run's host is as noisy as a
  // real one, and its scaled windows are tenths of a second. Every window that proves a
  // moment's shape is not a fault holds at least this: the one-way proof's margin, and the
  // hold of a verdict that needs more than one tick to open (or to clear).
  absl::Duration host_noise = absl::Milliseconds(500);
  // A node whose agent clock differs from the collector's by more than this: CLOCK_SKEW.
  absl::Duration clock_skew_threshold = absl::Seconds(30);

  // Liveness: a node is silent when the phi of its snapshot arrivals reaches this.
  double phi_threshold = 8.0;
  // No fleet height progress for this long counts as "height stalls" (PARTIAL_PARTITION -> P1).
  // It is also the hold period of the throughput rule: a PARTIAL_PARTITION becomes P1 when the
  // fleet's finalized blocks per second stay below throughput_collapse_ratio of their rate over
  // the throughput_baseline_window before the partition began, for the whole hold period.
  absl::Duration progress_stall = absl::Seconds(15);
  absl::Duration throughput_baseline_window = absl::Seconds(60);
  double throughput_collapse_ratio = 0.1;
  // NODE_LAGGING: at least this many blocks behind the quorum height, and growing over the window.
  uint64_t lag_threshold = 5;
  absl::Duration lag_window = absl::Seconds(20);
  // NODE_NOT_SYNCING: height unchanged this long while the quorum height moved past it.
  absl::Duration not_syncing_after = absl::Seconds(60);
  // FLAPPING_LINK: links changing state within this window (the flapping detector declares
  // how many changes and how long a quiet link takes to clear). The analyzer reads it too: a
  // node coming back stays unsettled this long, and past cuts explain flaps this long.
  absl::Duration flap_window = absl::Minutes(2);
  // FLEET_PEER_LOSS: at least this share of reporting nodes (and 3) hear at most half of the
  // peers they heard within the baseline window.
  double peer_loss_share = 0.3;
  absl::Duration peer_baseline_window = absl::Minutes(10);
  // DATA_CORRUPTION stays open this long after the last new corruption log line.
  absl::Duration corruption_window = absl::Minutes(10);
  // A cause that clears and comes back within this reopens its old incident.
  absl::Duration reopen_cooldown = absl::Minutes(5);
  // After the collector starts, incidents wait until its agents are back and caught up, at
  // most this long (analysis_warm_up.h). Not scaled: the agents' reconnect backoff is not.
  absl::Duration warm_up_longest = absl::Seconds(30);
  // Declared maintenance (S21 rolling restarts): verdicts are capped at P3 inside a window for
  // the whole fleet, and for nodes whose agent carries the label `maintenance=true`.
  // FORK and DATA_CORRUPTION are never capped. A window with nodes covers a verdict only when
  // every node it names is listed.
  struct MaintenanceWindow {
    absl::Time start;
    absl::Time end;
    std::vector<std::string> nodes;  // empty: the whole network
  };
  std::vector<MaintenanceWindow> maintenance;
  // The reachability matrix in Topology is O(n^2); it is filled only up to this many nodes.
  size_t matrix_max_nodes = 256;
  // The operator's validator file (--validators): when given, the validator set, naming
  // validators without an agent. Empty: the node API's list or the agents' participants.
  std::vector<ValidatorEntry> operator_validators;
  // Overrides, by name, of the windows and numbers detectors declare in their own files
  // (DetectorWindow, DetectorNumber in detector.h, e.g. "flap_quiet", "fork_window"); a name
  // not here holds its declared default. ScaleWindows sets every declared window here.
  std::map<std::string, absl::Duration, std::less<>> detector_windows;
  std::map<std::string, double, std::less<>> detector_numbers;
};

// Every window, threshold age and interval of `config` multiplied by `factor` (tests run at
// 0.1 or 0.2 of real time). Counts, ratios, the clock skew threshold (an offset between
// clocks, not a time span), host_noise and warm_up_longest (real-clock facts) are unchanged.
AnalysisConfig ScaleWindows(AnalysisConfig config, double factor);

// The observed nodes one tick's unobserved validators are judged against: every node's id by
// its index in the tick's model, the ids' order, and the observers (reporting nodes with peer
// data, sorted). Shared by the tick's assessments, and by the next ticks' while it holds.
struct UnobservedWitnesses {
  std::vector<std::string> ids;
  std::vector<uint32_t> rank;  // FleetModel::rank
  std::vector<int> observers;
};

// A validator without an agent, as fleet status shows it.
struct UnobservedAssessment {
  std::string name;
  std::string public_key;
  std::string addr;
  std::string organisation;
  uint64_t weight = 0;
  uint32_t heard_by = 0;
  uint32_t observers = 0;
  // Who hears it and who does not ("heard by v1, v2; not by v3"), and the incidents' view.
  // Made on demand from the parts below: at 10 000 nodes each lists thousands of names (2 MB
  // of text per tick for 30 validators), and only a status query reads it.
  std::string Reason() const;
  std::shared_ptr<const UnobservedWitnesses> witnesses;
  std::vector<int> hearers;  // indices into witnesses->ids, sorted
  std::vector<int> probers;  // nodes whose probes connected, kept only when no node hears it
  std::vector<std::string> verdict_kinds;  // in words ("validator unreachable")
};

struct AnalysisResult {
  absl::Time at;
  // By node name, in name order.
  NodeAssessments nodes;
  // Validators without an agent, in the validator set's order.
  std::vector<UnobservedAssessment> unobserved;
  // The consensus mode, the validator set's source and its size, and the quorum arithmetic
  // (unobserved validators included).
  guts::diag::v1::ConsensusMode mode = guts::diag::v1::CONSENSUS_MODE_SIMULATION;
  std::string validator_source;
  uint32_t validator_count = 0;
  uint64_t total_weight = 0;
  uint64_t quorum_weight = 0;
  guts::diag::v1::Topology topology;
  uint64_t max_height = 0;
  uint64_t quorum_height = 0;
  guts::diag::v1::QuorumMargin quorum_margin;
  // Every open incident after this tick, most severe first.
  // Shared with the analysis while unchanged (open_incidents.h).
  OpenIncidents open_incidents;
  // Incidents opened, updated or resolved in this tick, to persist.
  std::vector<guts::diag::v1::Incident> changed_incidents;
  // The collector started a moment ago and its agents are not all back: no incident changed
  // this tick (analysis_warm_up.h); `warm_up_why` says what it waits for.
  bool warming_up = false;
  std::string warm_up_why;
  // Non-empty while the peer graph holds at most half of the fleet (graph_coverage.h): splits,
  // isolations, one-way links and node down neither open nor clear; it says why.
  std::string partial_blindness;
};

class Analyzer {
 public:
  explicit Analyzer(AnalysisConfig config);
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Reloads incidents that were open when the collector stopped, so a restart neither loses
  // nor duplicates them.
  void RestoreIncidents(const std::vector<guts::diag::v1::Incident>& open);

  // Replaces the declared maintenance windows (run-time declarations, gutsctl maintenance).
  void SetMaintenance(std::vector<AnalysisConfig::MaintenanceWindow> windows);

  // Runs one analysis tick on `view`.
  AnalysisResult Tick(const FleetView& view);

  // The same tick, made in the storage of `recycled`: an earlier result that nobody reads any
  // more (the collector hands back the result it published two ticks ago once no reader holds
  // it). None of its content reaches the new result; its node array, topology and quorum
  // margin keep their room, so a tick of 10 000 nodes neither frees nor allocates (and faults
  // in again) those megabytes each time.
  AnalysisResult Tick(const FleetView& view, AnalysisResult recycled);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace guts::collector
