// One Analyzer::Tick on a healthy fleet of N nodes, each with 20 peer sessions (ring
// neighbours, half inbound with ephemeral ports), 30 arrival samples and a validator list.
// Two fleets: the node API's validator list with an agent beside every node (simulation mode),
// and a partly observed Simplex network (BM_AnalysisTickPartlyObserved) where 30 of the 100
// validators, run by other organisations, have no agent and are known only from the
// participants in the nodes' configs, the sessions the observed nodes hold with them and the
// agents' probes of every validator's P2P address. A third (BM_AnalysisTickSplit) is the first
// fleet cut in two halves: the tick when the network is on fire; with every validator on one
// side, a quorum side and a minority (PARTITION), and in BM_AnalysisTickSplitValidatorsBothSides
// with the cut through the validators, so that no side holds quorum (PARTITION_NO_QUORUM).
// Every iteration sees fresh snapshots (seq, arrival, height and block id move, and the fleet
// state's per-snapshot compaction of the peers and copy of the figures are redone outside the
// timed region, as ingest does them), as in production where every node reports once per
// tick. The view is sorted by node id, as FleetState::View() hands it out, and keeps one
// identity generation across the ticks, as the fleet state's views do while no node joins or
// leaves and no agent says a new Hello (Advance changes snapshots only).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/analyzer.h"
#include "collector/fleet/peer_address.h"
#include "collector/fleet/snapshot_figures.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

constexpr int kPeers = 20;

std::string Ip(int i) {
  return absl::StrCat("10.", i / 62500, ".", (i / 250) % 250, ".", i % 250 + 1);
}

std::string Key(int i) { return absl::StrFormat("%064x", 0xabc000 + i + 1); }

// The partly observed network: 100 validators (network indices 0..99) owned by four
// organisations (i % 4); the validators with i % 10 >= 7 run no agent. Every node's agent
// probes every validator's P2P address; every node also keeps two sessions with validators.
constexpr int kValidators = 100;
bool Unobserved(int i) { return i < kValidators && i % 10 >= 7; }

// Simplex mode as the agent reports it: the API's view is empty, heights, digests and the node's
// key come from the log and the config, the validator set from the config's participants.
void MakeSimplex(v1::Snapshot& s, int i, int validator_count) {
  s.clear_validators();
  v1::ConsensusView& c = *s.mutable_consensus();
  c.set_mode(v1::CONSENSUS_MODE_SIMPLEX);
  c.set_view(0);
  c.clear_last_block_id();
  c.set_proposed_view(7000);
  v1::LogFacts& log = *s.mutable_log();
  log.set_simplex_started(true);
  log.set_public_key(Key(i));
  log.set_finalized_height(5000);
  log.set_finalized_block_id("b5000");
  v1::NodeConfig& config = *s.mutable_config();
  config.set_loaded(true);
  config.set_consensus_enabled(true);
  config.set_use_simplex_bft(true);
  config.set_public_key(Key(i));
  config.set_p2p_listen_addr(absl::StrCat(Ip(i), ":9000"));
  for (int j = 0; j < validator_count; ++j) {
    v1::Participant* p = config.add_participants();
    p->set_public_key(Key(j));
    p->set_addr(absl::StrCat(Ip(j), ":9000"));
    p->set_self(j == i);
  }
  for (int j = 0; j < validator_count; ++j) {
    v1::ProbeResult* probe = s.add_probes();
    probe->set_addr(absl::StrCat(Ip(j), ":9000"));
    probe->set_reachable(true);
    probe->set_connect_ms(1);
  }
}

// The sessions of network node i: 20 ring neighbours, and in the partly observed network two of
// them (the farthest ring neighbours) replaced by sessions with validators, outbound from
// observers, plus the inbound ends of those at each validator.
void AddPeer(v1::Snapshot& s, int j, bool outbound, int port) {
  v1::PeerView* p = s.add_peers();
  p->set_direction(outbound ? v1::PEER_DIRECTION_OUTBOUND : v1::PEER_DIRECTION_INBOUND);
  p->set_remote_addr(outbound ? absl::StrCat(Ip(j), ":9000") : absl::StrCat(Ip(j), ":", port));
  p->set_last_data_recv_age_ms(200);
}

// The validators an observer i >= validator_count dials beside its ring neighbours.
std::pair<int, int> ValidatorsOf(int i, int validator_count) {
  return {i % validator_count, (i + validator_count / 2 + 1) % validator_count};
}

// How the ring is cut: not at all, in two halves with every validator (ring nodes 0..99) in the
// outer one, or in two halves with the cut between validators 49 and 50.
enum class Split { kNone, kValidatorsOnOneSide, kValidatorsBothSides };

// The inner half of the ring, [n/4, 3n/4), or [50, n/2 + 50) when the validators straddle the cut.
bool InMiddle(int i, int n, Split split) {
  const int from = split == Split::kValidatorsBothSides ? std::min(n, 100) / 2 : n / 4;
  return i >= from && i < from + n / 2;
}

// `split`: the ring cut in two halves (InMiddle); no session crosses the cut.
FleetView MakeFleet(int n, absl::Time now, bool partly_observed = false,
                    Split split = Split::kNone) {
  FleetView view;
  view.now = now;
  v1::ValidatorSet validators;
  // Large fleets are mostly observers: a 100-validator set, like a real network.
  int validator_count = std::min(n, 100);
  for (int i = 0; i < validator_count; ++i) {
    v1::Validator* v = validators.add_validators();
    v->set_name(absl::StrCat("n", i));
    v->set_weight(100);
    v->set_addr(absl::StrCat(Ip(i), ":9000"));
  }
  // Sessions with validators from the observers (partly observed network only).
  std::vector<std::vector<int>> dialled_by(validator_count);
  if (partly_observed) {
    for (int i = validator_count; i < n; ++i) {
      auto [a, b] = ValidatorsOf(i, validator_count);
      dialled_by[a].push_back(i);
      if (b != a) dialled_by[b].push_back(i);
    }
  }
  validators.set_total_weight(100 * validator_count);
  validators.set_quorum_weight((200 * validator_count + 2) / 3);
  view.nodes.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (partly_observed && Unobserved(i)) continue;  // no agent: not in the fleet state
    NodeObservation& obs = view.nodes.emplace_back();
    obs.node_id = absl::StrCat("n", i);
    v1::Hello& hello = MutableHello(obs);
    hello.set_p2p_addr(absl::StrCat(Ip(i), ":9000"));
    hello.set_role(i < validator_count ? "validator" : "observer");
    obs.connected = true;
    v1::Snapshot& s = MutableLatest(obs);
    s.set_node_id(obs.node_id);
    s.set_interval_ms(1000);
    s.mutable_health()->set_reachable(true);
    s.mutable_consensus()->set_finalized_height(5000);
    s.mutable_consensus()->set_view(7000);
    s.mutable_consensus()->set_last_block_id("b5000");
    *s.mutable_validators() = validators;
    s.mutable_system()->set_disk_total_bytes(100);
    s.mutable_system()->set_disk_available_bytes(60);
    const bool dials = partly_observed && i >= validator_count;
    for (int k = 1; k <= kPeers / 2; ++k) {
      for (int sign : {1, -1}) {
        // An observer's farthest ring neighbours give way to its two validators, on both ends.
        int j = ((i + sign * k) % n + n) % n;
        if (partly_observed && k == kPeers / 2 && (dials || j >= validator_count)) continue;
        if (split != Split::kNone && InMiddle(i, n, split) != InMiddle(j, n, split)) continue;
        AddPeer(s, j, sign > 0, 40000 + k);
      }
    }
    if (dials) {
      auto [a, b] = ValidatorsOf(i, validator_count);
      AddPeer(s, a, true, 0);
      if (b != a) AddPeer(s, b, true, 0);
    }
    if (partly_observed && i < validator_count) {
      for (int j : dialled_by[i]) AddPeer(s, j, false, 41000 + i);
    }
    if (partly_observed) MakeSimplex(s, i, validator_count);
    MutableSamples(obs).resize(30);
  }
  // The fleet state hands out views sorted by id ("n10" before "n2"), with the generation its
  // nodes and Hellos have until one of them changes.
  std::sort(
      view.nodes.begin(), view.nodes.end(),
      [](const NodeObservation& a, const NodeObservation& b) { return a.node_id < b.node_id; });
  view.identity_generation = NewIdentityGeneration();
  return view;
}

// Moves the fleet one second on: new seq, arrival, height and block id for every node, in a new
// snapshot and sample window as the fleet state makes them.
void Advance(FleetView& view, int tick) {
  view.now += absl::Seconds(1);
  for (NodeObservation& obs : view.nodes) {
    std::vector<SnapshotSample>& samples = MutableSamples(obs);
    samples.erase(samples.begin());
    SnapshotSample s;
    s.received = view.now - absl::Milliseconds(100);
    s.taken = s.received;
    s.seq = tick;
    s.height = 5000 + tick;
    samples.push_back(s);
    obs.samples_tail = SamplesTailOf(obs.samples);  // as the fleet state sets it
    const std::string block_id = absl::StrCat("b", s.height);
    obs.last_received = s.received;
    v1::Snapshot& latest = MutableLatest(obs);
    latest.set_seq(tick);
    latest.set_taken_unix_ms(absl::ToUnixMillis(s.taken));
    latest.mutable_consensus()->set_finalized_height(s.height);
    if (latest.consensus().mode() == v1::CONSENSUS_MODE_SIMPLEX) {
      latest.mutable_log()->set_finalized_height(s.height);
      latest.mutable_log()->set_finalized_block_id(block_id);
      latest.mutable_consensus()->set_proposed_view(7000 + tick);
    } else {
      latest.mutable_consensus()->set_last_block_id(block_id);
    }
    obs.latest_peers = CompactPeersOf(obs.latest);  // the fleet state's part, at ingest
    obs.latest_figures = SnapshotFiguresOf(obs.latest);
  }
}

void RunTicks(benchmark::State& state, bool partly_observed, Split cut = Split::kNone) {
  const bool split = cut != Split::kNone;
  const int n = static_cast<int>(state.range(0));
  absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  FleetView view = MakeFleet(n, start, partly_observed, cut);
  for (int i = 0; i < 30; ++i) Advance(view, i + 1);
  Analyzer analyzer{AnalysisConfig{}};
  int tick = 31;
  size_t open_incidents = 0;
  std::set<std::string> kinds;
  for (int i = 0; i < 3; ++i) analyzer.Tick(view);  // history warm
  // Each tick is made in the storage of the one before, as the collector's analysis loop hands
  // back a published result once no reader holds it (Analyzer::Tick with a recycled result).
  AnalysisResult r;
  for (auto _ : state) {
    state.PauseTiming();
    Advance(view, tick++);
    state.ResumeTiming();
    r = analyzer.Tick(view, std::move(r));
    benchmark::DoNotOptimize(r);
    if (!split && !r.open_incidents.empty()) {
      static std::string error;
      error = absl::StrCat("healthy fleet opened an incident: ", r.open_incidents[0].summary());
      state.SkipWithError(error.c_str());
    }
    if (split && r.topology.components_size() != 2) {
      state.SkipWithError("the split fleet is not seen as two sides");
    }
    open_incidents = r.open_incidents.size();
    if (split) {
      kinds.clear();
      for (const v1::Incident& incident : r.open_incidents) kinds.insert(incident.kind_name());
    }
  }
  // Which verdict the split fleets measured (PARTITION, or PARTITION_NO_QUORUM when the cut runs
  // through the validators).
  if (split) state.SetLabel(absl::StrJoin(kinds, ","));
  state.counters["open_incidents"] = static_cast<double>(open_incidents);
  state.counters["nodes"] = n;
  state.counters["agents"] = static_cast<double>(view.nodes.size());
  size_t sessions = 0;
  for (const NodeObservation& obs : view.nodes) sessions += obs.latest->peers_size();
  state.counters["peer_sessions"] = static_cast<double>(sessions);
}

void BM_AnalysisTick(benchmark::State& state) { RunTicks(state, false); }
BENCHMARK(BM_AnalysisTick)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// The network on fire: the same fleet cut in two halves (every validator on one side), so the
// partition's verdict names every node and each node's state and reason come from its side.
void BM_AnalysisTickSplit(benchmark::State& state) {
  RunTicks(state, false, Split::kValidatorsOnOneSide);
}
BENCHMARK(BM_AnalysisTickSplit)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// The same cut through the validators (50 on each side): no side holds quorum, the chain halts,
// and the verdict (PARTITION_NO_QUORUM) takes the other path.
void BM_AnalysisTickSplitValidatorsBothSides(benchmark::State& state) {
  RunTicks(state, false, Split::kValidatorsBothSides);
}
BENCHMARK(BM_AnalysisTickSplitValidatorsBothSides)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

// Simplex, 30 of the 100 validators without an agent (not in the view), every agent probing the
// 100 validators and reporting their keys and addresses from its config.
void BM_AnalysisTickPartlyObserved(benchmark::State& state) { RunTicks(state, true); }
BENCHMARK(BM_AnalysisTickPartlyObserved)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

// The fleet state's share, once per snapshot at ingest: reducing the snapshot's 20 PeerViews
// to address keys (NodeObservation::latest_peers) while it is still in cache after parsing.
void BM_CompactPeersAtIngest(benchmark::State& state) {
  FleetView view = MakeFleet(100, absl::FromUnixSeconds(1'800'000'000));
  const v1::Snapshot& snapshot = *view.nodes[0].latest;
  for (auto _ : state) {
    CompactPeers compact = CompactPeersOf(snapshot);
    benchmark::DoNotOptimize(compact);
  }
  state.counters["peer_sessions"] = snapshot.peers_size();
}
BENCHMARK(BM_CompactPeersAtIngest)->Unit(benchmark::kMicrosecond);

// Also once per snapshot at ingest: copying the figures the tick reads out of the snapshot's
// sub-messages (NodeObservation::latest_figures).
void BM_SnapshotFiguresAtIngest(benchmark::State& state) {
  FleetView view = MakeFleet(100, absl::FromUnixSeconds(1'800'000'000));
  Advance(view, 1);
  const v1::Snapshot& snapshot = *view.nodes[0].latest;
  for (auto _ : state) {
    SnapshotFigures figures = SnapshotFiguresOf(snapshot);
    benchmark::DoNotOptimize(figures);
  }
}
BENCHMARK(BM_SnapshotFiguresAtIngest)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace guts::collector

BENCHMARK_MAIN();
