// store_bench: what storing realistic snapshots costs, per stored layout.
//
// BM_StoreWrite: NODES nodes x SECONDS seconds of bench/loadgen's realistic snapshots (20
// peers, counters and ages moving every second), written as the collector's snapshot writer
// does (one PutSnapshots per second with every node's snapshot). Time is the whole process's
// CPU (RocksDB's flush and compaction threads included) per snapshot; snapshot generation is
// excluded. After the run a full compaction, then bytes_per_snapshot = SST bytes of the
// snapshots column family / snapshots written.
// BM_HistoryHour: reads one node's hour back from that compacted store (Store::History, every
// snapshot parsed), as `gutsctl node history` over an hour does.
//
// Layouts: "whole" (chain_length 1, zstd at every level: the layout before deltas), "delta"
// (chain of 64, LZ4 young, zstd + dictionary bottommost: the default), and "minute": "delta",
// then the whole hour downsampled to one snapshot a minute (Store::DownsampleSnapshotsBefore,
// what the collector does past --full-resolution) before the compaction; its bytes are per
// snapshot kept, and its node-day is 1 440 of them.
//
// Run: build/dev/bin/store_bench (env STORE_BENCH_DIR, default /tmp/guts-store-bench).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "collector/store/store.h"

namespace {

using guts::collector::SnapshotRecord;
using guts::collector::Store;
using guts::collector::StoreOptions;

constexpr int kNodes = 20;
constexpr int kSeconds = 3600;
const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

std::string Dir(const std::string& layout) {
  const char* base = std::getenv("STORE_BENCH_DIR");
  return absl::StrCat(base != nullptr ? base : "/tmp/guts-store-bench", "/", layout);
}

StoreOptions Options(const std::string& layout) {
  StoreOptions o{.dir = Dir(layout)};
  // STORE_BENCH_MEMTABLE_BYTES: the memtable budget (--store-memtable-bytes), to compare
  // budgets with one binary.
  if (const char* m = std::getenv("STORE_BENCH_MEMTABLE_BYTES"); m != nullptr) {
    o.memtable_bytes = std::strtoull(m, nullptr, 10);
  }
  if (layout == "whole") {
    o.chain_length = 1;
    o.young_compression = rocksdb::kZSTD;
  }
  return o;
}

void BM_StoreWrite(benchmark::State& state, std::string layout) {
  std::filesystem::remove_all(Dir(layout));
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options(layout));
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return;
  }
  std::vector<guts::bench::RealisticSnapshot> makers;
  for (int n = 0; n < kNodes; ++n) makers.emplace_back(absl::StrCat("v", n), n, 7u + n);
  uint64_t seq = 0, written = 0;
  std::vector<SnapshotRecord> batch(kNodes);
  for (auto _ : state) {
    state.PauseTiming();
    ++seq;
    for (int n = 0; n < kNodes; ++n) {
      batch[n].snapshot = makers[n].Next(seq, kStart + absl::Seconds(seq));
      batch[n].received = kStart + absl::Seconds(seq);
    }
    state.ResumeTiming();
    absl::Status s = (*store)->PutSnapshots(batch);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    written += kNodes;
  }
  state.SetItemsProcessed(static_cast<int64_t>(written));
  // After the timed loop: the compaction's CPU is not in the write figure.
  double per_day = 86400;
  if (layout == "minute") {
    absl::Time t0 = absl::Now();
    absl::Status s =
        (*store)->DownsampleSnapshotsBefore(kStart + absl::Seconds(seq + 60), absl::Minutes(1));
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    state.counters["downsample_wall_ms"] = absl::ToDoubleMilliseconds(absl::Now() - t0);
    size_t kept = 0;
    s = (*store)->History("v7", absl::InfinitePast(), absl::InfiniteFuture(),
                          [&](const guts::diag::v1::Snapshot&) { return ++kept > 0; });
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    written = kept * kNodes;
    per_day = 1440;
  }
  if (!(*store)->Compact().ok()) state.SkipWithError("compaction failed");
  guts::collector::StoreFigures f = (*store)->Figures();
  state.counters["snapshots"] = static_cast<double>(written);
  state.counters["bytes_per_snapshot"] =
      static_cast<double>(f.snapshots_sst_bytes) / static_cast<double>(written);
  state.counters["bytes_per_node_day"] =
      static_cast<double>(f.snapshots_sst_bytes) / static_cast<double>(written) * per_day;
}

void BM_HistoryHour(benchmark::State& state, std::string layout) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options(layout));
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return;
  }
  size_t read = 0;
  for (auto _ : state) {
    read = 0;
    absl::Status s = (*store)->History("v7", kStart, kStart + absl::Seconds(kSeconds + 1),
                                       [&](const guts::diag::v1::Snapshot& snap) {
                                         benchmark::DoNotOptimize(snap.seq());
                                         ++read;
                                         return true;
                                       });
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.counters["snapshots_read"] = static_cast<double>(read);
}

}  // namespace

int main(int argc, char** argv) {
  for (const std::string layout : {"whole", "delta", "minute"}) {
    benchmark::RegisterBenchmark(("BM_StoreWrite/" + layout).c_str(), BM_StoreWrite, layout)
        ->Iterations(kSeconds)
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_HistoryHour/" + layout).c_str(), BM_HistoryHour, layout)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
