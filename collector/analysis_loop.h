// AnalysisLoop: the collector's clock. Every tick it copies a FleetView, runs the Analyzer on
// it, stores the incidents that changed and publishes the result for queries. Every hour a
// thread of its own applies retention and downsampling to the store: downsampling rewrites an
// hour of every node's snapshots (about a second per 20 node-hours), which on the tick's
// thread would stop the analysis for tens of seconds at a thousand nodes. Until the first tick
// Latest() is null, and queries fall back to last-seen states.
//
// Example:
//   AnalysisLoop loop(&store, &fleet,
//                     {.tick = absl::Seconds(1),
//                      .collector_health = [&](absl::Time now) { return writer.Health(now); }});
//   loop.Start();
//   std::shared_ptr<const AnalysisResult> r = loop.Latest();  // null before the first tick
//   loop.Stop();
//
// Thread-safe: Latest() may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/latest_analysis.h"
#include "collector/fleet/fleet_state.h"
#include "collector/store/store.h"

namespace guts::collector {

struct AnalysisLoopOptions {
  absl::Duration tick = absl::Seconds(1);
  absl::Duration stall_threshold = absl::Minutes(2);
  // Every detector window is multiplied by this (ScaleWindows); tick and stall_threshold not.
  double time_scale = 1.0;
  std::vector<AnalysisConfig::MaintenanceWindow> maintenance;
  // The --validators file's entries (empty: none given).
  std::vector<ValidatorEntry> operator_validators;
  absl::Duration retention = absl::Hours(24 * 7);
  absl::Duration retention_every = absl::Hours(1);
  // With retention, snapshots older than full_resolution are downsampled to one per
  // downsample_interval (Store::DownsampleSnapshotsBefore); zero: never.
  absl::Duration full_resolution = absl::ZeroDuration();
  absl::Duration downsample_interval = absl::Minutes(1);
  // Called on the loop's thread after every tick, with its result (the alert pusher).
  std::function<void(const AnalysisResult&)> after_tick;
  // Called before every tick for the maintenance windows then declared (replacing
  // `maintenance`); unset: `maintenance` holds for the loop's life.
  std::function<std::vector<AnalysisConfig::MaintenanceWindow>()> maintenance_now;
  // How the collector's own ingest is doing at a time (SnapshotWriter::Health), so the analysis
  // can hold back "node silent" verdicts the collector caused; unset: a default CollectorHealth.
  std::function<CollectorHealth(absl::Time)> collector_health;
};

class AnalysisLoop final : public LatestAnalysis {
 public:
  // Every pointer must outlive the loop.
  AnalysisLoop(Store* store, FleetState* fleet, AnalysisLoopOptions options);
  ~AnalysisLoop();  // Stops if running.
  AnalysisLoop(const AnalysisLoop&) = delete;
  AnalysisLoop& operator=(const AnalysisLoop&) = delete;

  // Restores the incidents that were open at the last stop, then starts the thread.
  absl::Status Start();
  void Stop();

  // LatestAnalysis.
  std::shared_ptr<const AnalysisResult> Latest() const override;
  const AnalysisConfig& config() const override { return config_; }

 private:
  void Run();
  void Tick(absl::Time now);
  // Retention and downsampling every options_.retention_every, until Stop().
  void RunUpkeep();

  Store* const store_;
  FleetState* const fleet_;
  const AnalysisLoopOptions options_;
  const AnalysisConfig config_;
  std::unique_ptr<Analyzer> analyzer_;

  // The newest pause of the loop's own clock (Run's thread only).
  absl::Duration pause_ = absl::ZeroDuration();
  absl::Time pause_ended_ = absl::InfinitePast();
  // Whether the last tick was still warming up (for the log; Run's thread only).
  bool warming_up_ = false;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<AnalysisResult> latest_ ABSL_GUARDED_BY(mu_);
  // The result latest_ replaced (Run's thread only): out of readers' reach, so once the
  // readers that held it let go, the next tick is made in its storage (Analyzer::Tick).
  std::shared_ptr<AnalysisResult> replaced_;
  std::thread thread_;
  std::thread upkeep_thread_;
};

}  // namespace guts::collector
