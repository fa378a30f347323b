// SyntheticFleet: a fleet of validators v1..vN evolving tick by tick, for analysis tests. Tests
// say who hears whom, whose agent reports, which heights move, and get FleetViews as the
// collector would build them (PeerViews with real inbound/outbound address shapes, validator
// lists, arrival samples).
//
// Example:
//   SyntheticFleet fleet(7);
//   fleet.Cut({"v1","v2","v3","v4"}, {"v5","v6","v7"});
//   Timeline t = RunTicks(analyzer, fleet, 15);
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/fleet/fleet_view.h"

namespace guts::collector::testing {

class SyntheticFleet {
 public:
  explicit SyntheticFleet(int n, uint64_t weight = 100);

  // The mode new fleets start in (SetSimplex), so that one test body runs in both modes; a
  // ModeScope sets it for a test's lifetime.
  static bool& DefaultSimplex();
  struct ModeScope {
    explicit ModeScope(bool simplex) { DefaultSimplex() = simplex; }
    ~ModeScope() { DefaultSimplex() = false; }
  };

  int size() const { return static_cast<int>(nodes_.size()); }
  absl::Time now() const { return now_; }
  // StrCat, not "v" + to_string: GCC 12 -O3 reports a false -Wrestrict on the latter.
  static std::string Name(int i) { return absl::StrCat("v", i + 1); }
  std::vector<std::string> Names(int first, int last) const;  // 1-based inclusive

  void SetWeights(const std::vector<uint64_t>& weights);
  // Connectivity: `to` hears `from` (receives its data) when Hears(to, from).
  void SetHears(const std::string& to, const std::string& from, bool hears);
  void Cut(const std::vector<std::string>& a, const std::vector<std::string>& b);
  void Heal();  // everyone hears everyone again
  void Isolate(const std::string& node);
  // Removes the TCP sessions between the two (closed sockets), both sides.
  void DropSessions(const std::string& a, const std::string& b);
  // Keep only `k` peers per node (ring neighbours), for sparse fleets.
  void Sparse(int k);
  // Simulation mode: each node's config lists the peers it has sessions with now as its
  // allowed_peers (a sparse topology written down), so its snapshots carry participants.
  void WriteAllowedPeers();

  // Node process and agent.
  void Kill(const std::string& node);     // node and agent stop; sessions close
  void Restart(const std::string& node);  // both back, height stays where it was
  void AgentCutFromCollector(const std::string& node, bool cut);
  void ProcessDown(const std::string& node);  // agent reports, node process gone
  // The node process is replaced between two snapshots, so the agent never sees it down; its
  // sessions are gone for two snapshots. The collector sees one sign of it, so that a test can
  // tell which one counted: /health uptime going back, the agent's pid source finding a new
  // node process, or the agent's stream reconnecting (the agent restarted with its node).
  enum class RestartSeen { kUptime, kNewPid, kAgentReconnect };
  void QuickRestart(const std::string& node, RestartSeen seen);

  // Consensus: heights advance by `rate` blocks per tick.
  void SetRate(const std::string& node, double rate);
  void SetAllRates(double rate);
  void SetHeight(const std::string& node, uint64_t height);
  // The agent's read of the node's consensus API fails (a busy host, the agent paused
  // mid-read): its snapshots carry no consensus view at all, so no height.
  void SetApiReadFailed(const std::string& node, bool failed);
  void SetViewClimb(bool climbing) { views_climb_ = climbing; }
  // Nodes in `group` finalize blocks with different ids from the rest from now on.
  void Fork(const std::vector<std::string>& group);

  // Simplex mode (production): the API answers nothing about consensus; heights, digests and
  // rounds come from the log, the participants (keys and addresses, one vote each) from each
  // node's config. Off by default (simulation mode, with the API's validator list).
  void SetSimplex(bool on) { simplex_ = on; }
  bool simplex() const { return simplex_; }
  // The node runs, but no agent beside it: it is in no view, yet its peers' sockets show it.
  void RemoveAgent(const std::string& node);
  // `node`'s config lacks `peer` in allowed_peers: the pair's sessions are refused.
  void DropAllowedPeer(const std::string& node, const std::string& peer);
  // The node's consensus thread dies: it logs so, its API stays up, its P2P sessions close
  // and its height stops.
  void FailEngine(const std::string& node);
  // The node's deterministic hex public key.
  static std::string Key(int i);

  // Runbook facts.
  void SetDiskUsed(const std::string& node, double ratio);
  void SetConfigFallback(const std::string& node);
  void SetClockOffset(const std::string& node, absl::Duration offset);
  void SetLabel(const std::string& node, const std::string& key, const std::string& value);
  void SetCorruptionLines(const std::string& node, uint64_t lines);
  // The node's RSS as a share of its cgroup limit (0, the default: no memory figures).
  void SetMemoryUsed(const std::string& node, double ratio);
  // The API's 5xx ratio and p99 latency (both 0 by default).
  void SetApiErrors(const std::string& node, double ratio_5xx, double p99_seconds);
  void SetOverloaded(bool overloaded, absl::Duration ingest_lag);
  // The collector's analysis clock stood still for `pause`, ending now.
  void SetCollectorPause(absl::Duration pause);
  // A link that stops being heard ages from that moment in its hearer's snapshots (the
  // interval times the snapshots since, as a real socket's last receive age grows); off (the
  // default), its age is 60 s at once.
  void SetAging(bool on) { aging_ = on; }
  // Snapshot arrivals jitter by up to this much around the interval.
  void SetJitter(absl::Duration jitter) { jitter_ = jitter; }

  // Whether View() also fills NodeObservation::latest_peers (CompactPeersOf) and
  // latest_figures (SnapshotFiguresOf), as the collector's fleet state does at ingest; on by
  // default. Off, the analysis reads the snapshots themselves (hand-built views).
  void SetMadeAtIngest(bool on) { made_at_ingest_ = on; }

  // Advances time by one interval (plus jitter) and records arrivals.
  void Step();
  FleetView View() const;

 private:
  struct Node {
    std::string id;
    std::string ip;
    uint64_t weight = 100;
    bool agent_up = true;
    bool agent_reaches_collector = true;
    bool process_up = true;
    absl::Time process_started = absl::FromUnixSeconds(1'800'000'000);
    uint32_t restarts = 0;  // SystemFacts.node_restarts
    int reconnecting = 0;   // snapshots until the sessions are back
    absl::Time connection_changed = absl::FromUnixSeconds(1'800'000'000);
    double height = 100;
    double rate = 1;
    uint64_t view = 1000;
    bool forked = false;
    uint64_t fork_from = 0;
    double disk_used = 0.3;
    bool config_fallback = false;
    absl::Duration clock_offset = absl::ZeroDuration();
    std::map<std::string, std::string> labels;
    uint64_t corruption = 0;
    double memory_used = 0;
    double http_5xx_ratio = 0;
    double http_p99_seconds = 0;
    uint64_t seq = 0;
    bool has_agent = true;
    bool engine_failed = false;
    bool api_read_failed = false;
    std::set<int> lacks;    // peers missing from its allowed_peers
    std::set<int> allowed;  // simulation mode: its config's allowed_peers (WriteAllowedPeers)
    absl::Time last_received = absl::InfinitePast();
    std::vector<SnapshotSample> samples;
    std::string last_block_id;  // ConsensusView.last_block_id of the newest sample
    // Whom it heard as of its last delivered snapshot: a node whose agent stops delivering
    // keeps reporting the peers of that moment, as the collector's copy would.
    std::vector<char> reported_hears;
  };

  std::string BlockId(const Node& n, uint64_t height) const;

  std::vector<Node> nodes_;
  std::vector<std::vector<char>> hears_;          // [to][from]
  std::vector<std::vector<char>> session_;        // [a][b] symmetric
  std::vector<std::vector<absl::Time>> stopped_;  // [to][from]: when `to` stopped hearing
  bool aging_ = false;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  absl::Duration interval_ = absl::Seconds(1);
  absl::Duration jitter_ = absl::ZeroDuration();
  uint64_t rng_ = 12345;
  bool views_climb_ = false;
  bool simplex_ = false;
  bool overloaded_ = false;
  bool made_at_ingest_ = true;
  absl::Duration ingest_lag_ = absl::ZeroDuration();
  absl::Duration pause_ = absl::ZeroDuration();
  absl::Time pause_ended_ = absl::InfinitePast();
};

// Every incident seen while running ticks.
struct Timeline {
  AnalysisResult last;
  // Incidents by id as last seen (opened, updated, resolved).
  std::map<std::string, guts::diag::v1::Incident> incidents;
  // Tick (1-based, counted from the first RunTicks call on this Timeline) when each id opened.
  std::map<std::string, int> opened_at_tick;
  int ticks = 0;

  std::vector<guts::diag::v1::Incident> Open() const {
    return {last.open_incidents.begin(), last.open_incidents.end()};
  }
  std::vector<guts::diag::v1::Incident> Ever(guts::diag::v1::IncidentKind kind) const;
  std::set<guts::diag::v1::IncidentKind> KindsEver() const;
};

// Steps the fleet and ticks the analyzer `ticks` times, collecting into `timeline`.
void RunTicks(Analyzer& analyzer, SyntheticFleet& fleet, int ticks, Timeline& timeline);

// Config for tests: 1 s ticks, enter after 3, clear after 5, stall threshold 30 s.
AnalysisConfig TestConfig();

// `m`'s bytes with map fields in a fixed order (evidence is a map), for comparing results.
std::string Deterministic(const google::protobuf::Message& m);

// An incident's nodes, and its groups' nodes (the groups sorted), as plain lists for matchers.
std::vector<std::string> NodesOf(const guts::diag::v1::Incident& inc);
std::vector<std::vector<std::string>> GroupsOf(const guts::diag::v1::Incident& inc);

// "KIND: summary; " for every incident ever seen, for failure messages.
std::string Summaries(const Timeline& t);

// Exactly one incident was ever opened, of `kind` (a test failure otherwise); returns it.
guts::diag::v1::Incident Only(const Timeline& t, guts::diag::v1::IncidentKind kind);

}  // namespace guts::collector::testing
