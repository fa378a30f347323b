// One Analyzer::Tick on a healthy fleet of N nodes, each with 20 peer sessions (ring
// neighbours, half inbound with ephemeral ports), 30 arrival samples and a validator list.
// Every iteration sees fresh snapshots (seq, arrival, height and block id move, and the fleet
// state's per-snapshot compaction of the peers and copy of the figures are redone outside the
// timed region, as ingest does them), as in production where every node reports once per
// tick. The view is sorted by node id, as FleetState::View() hands it out.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
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

FleetView MakeFleet(int n, absl::Time now) {
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
  validators.set_total_weight(100 * validator_count);
  validators.set_quorum_weight((200 * validator_count + 2) / 3);
  view.nodes.resize(n);
  for (int i = 0; i < n; ++i) {
    NodeObservation& obs = view.nodes[i];
    obs.node_id = absl::StrCat("n", i);
    obs.hello.set_p2p_addr(absl::StrCat(Ip(i), ":9000"));
    obs.hello.set_role(i < validator_count ? "validator" : "observer");
    obs.has_latest = true;
    obs.connected = true;
    v1::Snapshot& s = obs.latest;
    s.set_node_id(obs.node_id);
    s.set_interval_ms(1000);
    s.mutable_health()->set_reachable(true);
    s.mutable_consensus()->set_finalized_height(5000);
    s.mutable_consensus()->set_view(7000);
    s.mutable_consensus()->set_last_block_id("b5000");
    *s.mutable_validators() = validators;
    s.mutable_system()->set_disk_total_bytes(100);
    s.mutable_system()->set_disk_available_bytes(60);
    for (int k = 1; k <= kPeers / 2; ++k) {
      for (int sign : {1, -1}) {
        int j = ((i + sign * k) % n + n) % n;
        v1::PeerView* p = s.add_peers();
        bool outbound = sign > 0;
        p->set_direction(outbound ? v1::PEER_DIRECTION_OUTBOUND : v1::PEER_DIRECTION_INBOUND);
        p->set_remote_addr(outbound ? absl::StrCat(Ip(j), ":9000")
                                    : absl::StrCat(Ip(j), ":", 40000 + k));
        p->set_last_data_recv_age_ms(200);
      }
    }
    obs.samples.resize(30);
  }
  // The fleet state hands out views sorted by id ("n10" before "n2").
  std::sort(
      view.nodes.begin(), view.nodes.end(),
      [](const NodeObservation& a, const NodeObservation& b) { return a.node_id < b.node_id; });
  return view;
}

// Moves the fleet one second on: new seq, arrival, height and block id for every node.
void Advance(FleetView& view, int tick) {
  view.now += absl::Seconds(1);
  for (NodeObservation& obs : view.nodes) {
    obs.samples.erase(obs.samples.begin());
    SnapshotSample s;
    s.received = view.now - absl::Milliseconds(100);
    s.taken = s.received;
    s.seq = tick;
    s.height = 5000 + tick;
    s.block_id = absl::StrCat("b", s.height);
    obs.samples.push_back(s);
    obs.last_received = s.received;
    obs.latest.set_seq(tick);
    obs.latest.set_taken_unix_ms(absl::ToUnixMillis(s.taken));
    obs.latest.mutable_consensus()->set_finalized_height(s.height);
    obs.latest.mutable_consensus()->set_last_block_id(s.block_id);
    obs.latest_peers = CompactPeersOf(obs.latest);  // the fleet state's part, at ingest
    obs.latest_figures = SnapshotFiguresOf(obs.latest);
  }
}

void BM_AnalysisTick(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  FleetView view = MakeFleet(n, start);
  for (int i = 0; i < 30; ++i) Advance(view, i + 1);
  Analyzer analyzer{AnalysisConfig{}};
  int tick = 31;
  for (int i = 0; i < 3; ++i) analyzer.Tick(view);  // history warm
  for (auto _ : state) {
    state.PauseTiming();
    Advance(view, tick++);
    state.ResumeTiming();
    AnalysisResult r = analyzer.Tick(view);
    benchmark::DoNotOptimize(r);
    if (!r.open_incidents.empty()) state.SkipWithError("healthy fleet opened an incident");
  }
  state.counters["nodes"] = n;
  state.counters["peer_sessions"] = static_cast<double>(n) * kPeers;
}
BENCHMARK(BM_AnalysisTick)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// The fleet state's share, once per snapshot at ingest: reducing the snapshot's 20 PeerViews
// to address keys (NodeObservation::latest_peers) while it is still in cache after parsing.
void BM_CompactPeersAtIngest(benchmark::State& state) {
  FleetView view = MakeFleet(100, absl::FromUnixSeconds(1'800'000'000));
  const v1::Snapshot& snapshot = view.nodes[0].latest;
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
  const v1::Snapshot& snapshot = view.nodes[0].latest;
  for (auto _ : state) {
    SnapshotFigures figures = SnapshotFiguresOf(snapshot);
    benchmark::DoNotOptimize(figures);
  }
}
BENCHMARK(BM_SnapshotFiguresAtIngest)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace guts::collector

BENCHMARK_MAIN();
