// FleetState::View() at fleet scale: what the analysis loop pays once a tick (with samples)
// and a query pays (without), before the analysis reads anything (issue 21). Every node has
// an agent Hello, a full window of 120 samples and a latest snapshot shaped like a
// validator's (bench/loadgen/realistic_snapshot.h: 20 peers, health checks, metrics), as the
// fleet state holds them after two minutes of 1 Hz snapshots. The view is dropped inside the
// timed region: freeing it is part of what a tick pays.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "collector/fleet/fleet_state.h"

namespace guts::collector {
namespace {

constexpr size_t kWindow = 120;

// One fleet state per size, filled once: filling 10 000 nodes takes seconds, and the
// benchmark library calls each benchmark several times.
const FleetState& Fleet(int nodes) {
  static std::map<int, std::unique_ptr<FleetState>>* fleets =
      new std::map<int, std::unique_ptr<FleetState>>();
  std::unique_ptr<FleetState>& fleet = (*fleets)[nodes];
  if (fleet != nullptr) return *fleet;
  fleet = std::make_unique<FleetState>(kWindow);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  for (int i = 0; i < nodes; ++i) {
    const std::string id = absl::StrCat("v", i);
    guts::diag::v1::Hello hello;
    hello.set_node_id(id);
    hello.set_agent_version("0.9.0");
    hello.set_role("validator");
    hello.set_p2p_addr(absl::StrCat("10.0.", i / 250, ".", i % 250 + 1, ":9000"));
    hello.set_interval_ms(1000);
    (*hello.mutable_labels())["region"] = "eu-west";
    (*hello.mutable_labels())["org"] = absl::StrCat("org", i % 4);
    fleet->Connected(hello, start);
    bench::RealisticSnapshot maker(id, i, static_cast<uint32_t>(i + 1));
    std::vector<SnapshotRecord> records;
    for (size_t seq = 1; seq <= kWindow; ++seq) {
      absl::Time taken = start + absl::Seconds(static_cast<int64_t>(seq));
      records.push_back({maker.Next(seq, taken), taken + absl::Milliseconds(500), start});
    }
    fleet->Stored(std::move(records));
  }
  return *fleet;
}

void BM_FleetView(benchmark::State& state) {
  const FleetState& fleet = Fleet(static_cast<int>(state.range(0)));
  const bool with_samples = state.range(1) != 0;
  const absl::Time now = absl::FromUnixSeconds(1'800'000'200);
  for (auto _ : state) {
    FleetView view = fleet.View(now, with_samples);
    benchmark::DoNotOptimize(view.nodes.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_FleetView)
    ->ArgNames({"nodes", "samples"})
    ->ArgsProduct({{1000, 10000}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace guts::collector

BENCHMARK_MAIN();
