// writer_bench: the collector's CPU per snapshot on the writer side alone: SnapshotWriter
// storing bench/loadgen's realistic snapshots of a consistent fleet (RocksDB, delta encoding,
// the fleet state and the acks' bookkeeping, RocksDB's own threads included), without gRPC and
// parsing. Each second of the fleet is submitted in groups of `group` (the writer's batch at
// 1 000 agents sending once a second is about 250), each group waited for before the next.
//
// Output: one line, `us_per_snapshot <process CPU of the timed part / snapshots>`; snapshot
// generation is outside the timed part. On a shared machine the figure moves 10-20 % with the
// load: compare two builds by alternating short runs and taking each one's best.
//
// Usage: writer_bench [NODES=1000] [SECONDS=60] [GROUP=250] (env WRITER_BENCH_DIR, default
// /tmp/guts-writer-bench-<pid>)
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "collector/fleet/fleet_state.h"
#include "collector/http/metrics.h"
#include "collector/ingest/snapshot_writer.h"
#include "collector/store/store.h"

namespace {

using guts::collector::AckSink;

// Counts acked snapshots of every stream (one sink per node, the highest seq each).
class Acks {
 public:
  void Add(int n) {
    absl::MutexLock lock(&mu_);
    acked_ += n;
  }
  void WaitFor(int64_t total) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return acked_ >= total; };
    mu_.Await(absl::Condition(&done));
  }

 private:
  absl::Mutex mu_;
  int64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
};

class NodeSink : public AckSink {
 public:
  explicit NodeSink(Acks* acks) : acks_(acks) {}
  void Acked(uint64_t seq) override {
    acks_->Add(static_cast<int>(seq - last_));
    last_ = seq;
  }

 private:
  Acks* acks_;
  uint64_t last_ = 0;
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const int nodes = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 60;
  const int group = argc > 3 ? std::atoi(argv[3]) : 250;
  const char* env = std::getenv("WRITER_BENCH_DIR");
  const std::string dir = env ? env : absl::StrCat("/tmp/guts-writer-bench-", getpid());
  std::filesystem::remove_all(dir);
  auto store = guts::collector::Store::Open({.dir = dir});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  guts::collector::FleetState fleet;
  guts::collector::CollectorMetrics metrics;
  guts::collector::SnapshotWriter writer(store->get(), &fleet, &metrics, {});
  if (!writer.Start().ok()) return 1;
  std::vector<guts::bench::RealisticSnapshot> makers;
  std::vector<std::shared_ptr<AckSink>> sinks;
  Acks acks;
  for (int i = 0; i < nodes; ++i) {
    makers.emplace_back(absl::StrCat("v", i), i, static_cast<uint32_t>(i + 1), nodes);
    sinks.push_back(std::make_shared<NodeSink>(&acks));
  }
  const absl::Time start = absl::Now() - absl::Seconds(seconds);
  double cpu = 0;
  int64_t submitted = 0;
  std::vector<guts::collector::PendingSnapshot> second;
  for (int s = 1; s <= seconds; ++s) {
    second.clear();
    const absl::Time taken = start + absl::Seconds(s);
    for (int i = 0; i < nodes; ++i) {
      guts::collector::PendingSnapshot p;
      p.snapshot = makers[i].Next(static_cast<uint64_t>(s), taken);
      p.bytes = p.snapshot.ByteSizeLong();
      p.received = absl::Now();
      p.ack = sinks[i];
      second.push_back(std::move(p));
    }
    const double before = CpuSeconds();
    for (int i = 0; i < nodes; i += group) {
      for (int j = i; j < std::min(nodes, i + group); ++j) {
        if (!writer.Submit(std::move(second[j])).ok()) return 1;
        ++submitted;
      }
      acks.WaitFor(submitted);
    }
    cpu += CpuSeconds() - before;
  }
  writer.Stop();
  std::printf("us_per_snapshot %.2f\n", cpu * 1e6 / static_cast<double>(submitted));
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
