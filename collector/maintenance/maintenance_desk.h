// MaintenanceDesk: the maintenance windows operators declare at run time (gutsctl maintenance),
// stored in the store's "maintenance" records so they survive restarts, plus the windows of the
// collector's --maintenance-window flags (kept in memory, listed, never stored or ended).
//
// Example:
//   auto desk = MaintenanceDesk::Open(store, config.maintenance_windows);
//   absl::StatusOr<v1::MaintenanceWindow> w =
//       (*desk)->Declare(request, "operator (certificate CN=alice)", absl::Now());
//   loop options: .maintenance_now = [d = desk.get()] { return d->ForAnalysis(absl::Now()); }
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/store/store.h"
#include "guts/diag/v1/maintenance.pb.h"

namespace guts::collector {

// Bounds on what one declaration may ask for.
inline constexpr absl::Duration kMaxMaintenanceDuration = absl::Hours(24 * 7);
inline constexpr size_t kMaxMaintenanceNodes = 1000;
inline constexpr size_t kMaxMaintenanceReasonBytes = 512;
// Stored windows kept at most (the oldest past ones go first).
inline constexpr size_t kMaxStoredMaintenanceWindows = 1000;

class MaintenanceDesk {
 public:
  // Loads the stored windows. The store's errors; DATA_LOSS for an unreadable record.
  static absl::StatusOr<std::unique_ptr<MaintenanceDesk>> Open(
      Store* store, const std::vector<std::pair<absl::Time, absl::Time>>& flag_windows);

  // Stores a new window. INVALID_ARGUMENT for no or too long a duration, a bad node id, too
  // many nodes, too long a reason, or an end already past.
  absl::StatusOr<guts::diag::v1::MaintenanceWindow> Declare(
      const guts::diag::v1::DeclareMaintenanceRequest& request, const std::string& who,
      absl::Time now);

  // Ends a window now. NOT_FOUND for an unknown id; FAILED_PRECONDITION for a flag window or one
  // already over.
  absl::StatusOr<guts::diag::v1::MaintenanceWindow> End(const std::string& id,
                                                        const std::string& who, absl::Time now);

  // Current and future windows by start; with include_past, the past ones after them.
  guts::diag::v1::MaintenanceList List(bool include_past, absl::Time now) const;

  // Every window not over at `now`, for the analysis.
  std::vector<AnalysisConfig::MaintenanceWindow> ForAnalysis(absl::Time now) const;

 private:
  explicit MaintenanceDesk(Store* store) : store_(store) {}
  Store* const store_;
  mutable absl::Mutex mu_;
  std::vector<guts::diag::v1::MaintenanceWindow> windows_ ABSL_GUARDED_BY(mu_);
};

// True when `w` is over at `now` (ended early or past its end).
bool MaintenanceOver(const guts::diag::v1::MaintenanceWindow& w, absl::Time now);

}  // namespace guts::collector
