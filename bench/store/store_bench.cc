// store_bench: what storing realistic snapshots costs, per stored layout.
//
// BM_StoreWrite: NODES nodes x SECONDS seconds of bench/loadgen's realistic snapshots (20
// peers, counters and ages moving every second), written as the collector's snapshot writer
// does (one PutSnapshots per second with every node's snapshot). Time is the whole process's
// CPU (RocksDB's flush and compaction threads included) per snapshot; snapshot generation is
// excluded. After the run a full compaction, then bytes_per_snapshot = SST bytes of the
// snapshots column family / snapshots written.
// BM_HistoryHour: reads one node's hour back from that compacted store (Store::History, every
// snapshot parsed), as `gutsctl node history` over an hour does. compact_cpu_us_per_snapshot:
// the full compaction's CPU per snapshot (per kept snapshot in "minute"), what settling the
// data in the bottommost level costs. BM_HistoryLastSecond: one snapshot read cold (store
// opened afresh), the small read the table's block size shows in.
//
// Layouts: "whole" (chain_length 1, zstd at every level: the layout before deltas), "delta"
// (chain of 64, LZ4 young, zstd + dictionary bottommost: the default), and "minute": "delta",
// then the whole hour downsampled to one snapshot a minute (Store::DownsampleSnapshotsBefore,
// what the collector does past --full-resolution) before the compaction; its bytes are per
// snapshot kept, and its node-day is 1 440 of them.
//
// Run: build/dev/bin/store_bench (env STORE_BENCH_DIR, default /tmp/guts-store-bench).
#include <benchmark/benchmark.h>
#include <time.h>

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

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
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
  // The full compaction's CPU (the whole process's, so RocksDB's threads included), per
  // snapshot: what the bottommost level's compression costs when data settles. The
  // collector's background compactions spend it too, only later.
  const double cpu0 = ProcessCpuSeconds();
  if (!(*store)->Compact().ok()) state.SkipWithError("compaction failed");
  state.counters["compact_cpu_us_per_snapshot"] =
      (ProcessCpuSeconds() - cpu0) * 1e6 / static_cast<double>(written);
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

// BM_HistoryLastSecond: one node's last second (a single snapshot, rebuilt from its chain
// start) from that compacted store, opened afresh for each read so nothing is in the block
// cache: the small cold read, where the table's block size shows most (every block the read
// touches is decompressed whole). The opening is not timed.
void BM_HistoryLastSecond(benchmark::State& state, std::string layout) {
  size_t read = 0;
  int node = 0;
  for (auto _ : state) {
    state.PauseTiming();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(Options(layout));
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    node = (node + 1) % kNodes;
    read = 0;
    state.ResumeTiming();
    absl::Status s = (*store)->History(absl::StrCat("v", node), kStart + absl::Seconds(kSeconds),
                                       kStart + absl::Seconds(kSeconds + 1),
                                       [&](const guts::diag::v1::Snapshot& snap) {
                                         benchmark::DoNotOptimize(snap.seq());
                                         ++read;
                                         return true;
                                       });
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    state.PauseTiming();
    store->reset();
    state.ResumeTiming();
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
    benchmark::RegisterBenchmark(("BM_HistoryLastSecond/" + layout).c_str(), BM_HistoryLastSecond,
                                 layout)
        ->Unit(benchmark::kMicrosecond)
        ->Iterations(kNodes);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
