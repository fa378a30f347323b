// ValidateSnapshot, the check every snapshot goes through before it is queued: on the
// realistic 21-node snapshot the load generator sends, and on a snapshot filled close to its
// bounds (1000 peers and probes, 1000 validators, 1000 metric series, 100 log entries).
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "collector/ingest/snapshot_limits.h"

namespace {

namespace v1 = ::guts::diag::v1;

const absl::Time kNow = absl::FromUnixSeconds(1796000000);

v1::Snapshot Realistic() {
  guts::bench::RealisticSnapshot maker("v3", 3, /*seed=*/3);
  return maker.Next(7, kNow);
}

v1::Snapshot Full() {
  v1::Snapshot s = Realistic();
  for (int i = 0; i < 1000; ++i) {
    v1::PeerView* peer = s.add_peers();
    peer->set_remote_addr(absl::StrCat("10.1.", i / 200, ".", i % 200, ":9000"));
    peer->set_local_addr("10.0.0.3:9000");
    peer->set_tcp_state("ESTABLISHED");
    v1::ProbeResult* probe = s.add_probes();
    probe->set_addr(peer->remote_addr());
    probe->set_name(absl::StrCat("v", i));
    v1::Validator* validator = s.mutable_validators()->add_validators();
    validator->set_name(absl::StrCat("v", i));
    validator->set_addr(peer->remote_addr());
    (*s.mutable_metrics()->mutable_series())[absl::StrCat("guts_series_", i)] = i;
  }
  for (int i = 0; i < 100; ++i) {
    s.mutable_log()->add_recent_errors(absl::StrCat("error ", i, ": connection reset by peer"));
    (*s.mutable_log()->mutable_errors_by_kind())[absl::StrCat("kind_", i)] = i;
  }
  return s;
}

void Validate(benchmark::State& state, const v1::Snapshot& snapshot) {
  // Limits as the collector builds them (collector.cc sets max_past from the retention).
  const guts::collector::SnapshotLimits limits{.max_past = absl::Hours(24 * 7)};
  for (auto _ : state) {
    absl::Status s = guts::collector::ValidateSnapshot(snapshot, "v3", kNow, limits);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(s);
  }
}

void BM_ValidateRealisticSnapshot(benchmark::State& state) { Validate(state, Realistic()); }
BENCHMARK(BM_ValidateRealisticSnapshot);

void BM_ValidateFullSnapshot(benchmark::State& state) {
  v1::Snapshot full = Full();
  state.counters["bytes"] = static_cast<double>(full.ByteSizeLong());
  Validate(state, full);
}
BENCHMARK(BM_ValidateFullSnapshot);

}  // namespace

BENCHMARK_MAIN();
