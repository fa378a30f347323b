#include "collector/analysis_loop.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "common/aligned_time.h"
#include "spdlog/spdlog.h"

namespace guts::collector {

namespace {

AnalysisConfig ConfigOf(const AnalysisLoopOptions& options) {
  AnalysisConfig config = ScaleWindows(AnalysisConfig{}, options.time_scale);
  config.tick = options.tick;
  config.stall_threshold = options.stall_threshold;
  config.maintenance = options.maintenance;
  config.operator_validators = options.operator_validators;
  return config;
}

}  // namespace

AnalysisLoop::AnalysisLoop(Store* store, FleetState* fleet, AnalysisLoopOptions options)
    : store_(store), fleet_(fleet), options_(std::move(options)), config_(ConfigOf(options_)) {}

AnalysisLoop::~AnalysisLoop() { Stop(); }

absl::Status AnalysisLoop::Start() {
  analyzer_ = std::make_unique<Analyzer>(config_);
  absl::StatusOr<std::vector<guts::diag::v1::Incident>> stored = store_->LoadIncidents();
  if (!stored.ok()) return stored.status();
  std::vector<guts::diag::v1::Incident> open;
  for (auto& i : *stored) {
    if (i.state() == guts::diag::v1::OPEN) open.push_back(std::move(i));
  }
  analyzer_->RestoreIncidents(open);
  spdlog::info("restored {} open incidents", open.size());
  // Named, so that `top -H` and perf tell the collector's threads apart.
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "analysis:tick");
    Run();
  });
  upkeep_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "analysis:upkeep");
    RunUpkeep();
  });
  return absl::OkStatus();
}

void AnalysisLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (upkeep_thread_.joinable()) upkeep_thread_.join();
}

std::shared_ptr<const AnalysisResult> AnalysisLoop::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

void AnalysisLoop::RunUpkeep() {
  for (;;) {
    absl::Time now = absl::Now();
    absl::Status s = store_->DeleteSnapshotsBefore(now - options_.retention);
    if (!s.ok()) spdlog::error("retention: {}", s.ToString());
    if (options_.full_resolution > absl::ZeroDuration()) {
      s = store_->DownsampleSnapshotsBefore(now - options_.full_resolution,
                                            options_.downsample_interval);
      if (!s.ok()) spdlog::error("downsampling: {}", s.ToString());
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithDeadline(absl::Condition(&stopping_), now + options_.retention_every)) {
      return;
    }
  }
}

void AnalysisLoop::Run() {
  // Ticks fall half a tick after the points where agents take their snapshots (the whole
  // multiples of their interval on the Unix clock, common/aligned_time.h), so a snapshot is
  // read about half a tick after it is taken, whatever the processes' start-up left.
  const absl::Duration phase = options_.tick / 2;
  absl::Time next_tick = NextAlignedTime(absl::Now(), options_.tick, phase);
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithDeadline(absl::Condition(&stopping_), next_tick)) return;
    }
    absl::Time now = absl::Now();
    if (now >= next_tick) {
      // Woken more than a whole tick late: the process or its host was starved of CPU, and
      // the silences measured across the pause are the collector's own (collector_blindness.h).
      if (now - next_tick > options_.tick) {
        pause_ = now - next_tick;
        pause_ended_ = now;
        spdlog::warn(
            "analysis tick ran {} late: the collector stood still; node silence is not "
            "judged until snapshots settle",
            absl::FormatDuration(pause_));
      }
      Tick(now);
      // A slow tick skips the ticks it overran instead of running them back to back.
      next_tick = NextAlignedTime(std::max(absl::Now(), next_tick), options_.tick, phase);
    }
  }
}

void AnalysisLoop::Tick(absl::Time now) {
  if (options_.maintenance_now) analyzer_->SetMaintenance(options_.maintenance_now());
  FleetView view = fleet_->View(now);
  if (options_.collector_health) view.collector = options_.collector_health(now);
  view.collector.pause = pause_;
  view.collector.pause_ended = pause_ended_;
  // The result published two ticks ago, when no reader holds it any more. No reader can take
  // it again (latest_ no longer points to it), so a count of one stays one; the fence orders
  // the last reader's reads (before its release of the count) before the tick's writes.
  AnalysisResult recycled;
  if (replaced_ != nullptr && replaced_.use_count() == 1) {
    std::atomic_thread_fence(std::memory_order_acquire);
    recycled = std::move(*replaced_);
  }
  replaced_.reset();
  auto result = std::make_shared<AnalysisResult>(analyzer_->Tick(view, std::move(recycled)));
  absl::Status s = store_->PutIncidents(result->changed_incidents);
  if (!s.ok()) spdlog::error("storing incidents: {}", s.ToString());
  if (result->warming_up != warming_up_) {
    if (result->warming_up) {
      spdlog::info("{}; incidents neither open nor clear until then", result->warm_up_why);
    } else {
      spdlog::info(
          "analysis warmed up: incidents restored at start are confirmed or resolved "
          "from now on");
    }
    warming_up_ = result->warming_up;
  }
  for (const auto& i : result->changed_incidents) {
    spdlog::info("incident {} {} {}: {}", i.id(), guts::diag::v1::IncidentState_Name(i.state()),
                 guts::diag::v1::Severity_Name(i.severity()), i.summary());
  }
  if (options_.after_tick) options_.after_tick(*result);
  absl::MutexLock lock(&mu_);
  replaced_ = std::exchange(latest_, std::move(result));
}

}  // namespace guts::collector
