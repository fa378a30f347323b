// Phi accrual (Hayashibara et al.) over snapshot arrival times: how unlikely the current silence
// is given the node's own arrival rhythm. Jittery agents get a wider margin than punctual ones,
// so one late snapshot does not mark a node silent.
//
// ArrivalWindow keeps what phi and the clock-skew check read from a node's recent samples (the
// gaps between its last arrivals, the clock offsets of its last snapshots) between ticks, so a
// tick folds in only the samples that arrived since the previous one instead of re-reading the
// whole window of every node. Its answers equal a fresh computation over the same samples.
//
// Example:
//   ArrivalWindow& w = windows[node_number];   // kept across ticks
//   w.Follow(observation.samples);
//   bool silent = w.Phi(observation.last_received, now, interval) >= 8.0;
//   // The same answer, without exp and log10 for a node whose silence is within its mean gap:
//   bool silent = PhiAtLeast(w.Terms(observation.last_received, now, interval), 8.0);
//
// Not thread-safe; each window is owned by one analyzer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "collector/fleet/fleet_view.h"

namespace guts::collector {

// What phi is computed from: the silence in standard deviations past the mean gap (y), and
// whether the silence runs past the mean gap. phi = PhiOf(terms).
struct PhiTerms {
  double y = 0;
  bool late = false;
};

// phi of `terms`: a logistic approximation of the normal tail at y, in -log10.
double PhiOf(const PhiTerms& terms);

// The most phi can be when the silence is not late (y <= 0): log10(2), 0.30103, rounded up.
inline constexpr double kPhiNotLateMost = 0.302;

// PhiOf(terms) >= threshold. A silence within the mean gap has phi <= log10(2), so against a
// threshold above kPhiNotLateMost it is answered without exp and log10 (two of each per node
// and tick, a tenth of the model, for an answer that is "not silent" for every healthy node).
inline bool PhiAtLeast(const PhiTerms& terms, double threshold) {
  if (!terms.late && threshold > kPhiNotLateMost) return false;
  return PhiOf(terms) >= threshold;
}

class ArrivalWindow {
 public:
  // Arrivals phi looks at, and snapshots whose clock offset counts.
  static constexpr size_t kArrivals = 30;
  static constexpr size_t kOffsets = 5;

  // Brings the window up to `samples` (received on the collector clock, oldest first). Samples
  // are expected to be appended between calls (old ones may drop off the front, as the fleet
  // state's bounded window does); when the newest sample seen before is gone, the window is
  // rebuilt from `samples`.
  void Follow(const std::vector<SnapshotSample>& samples);
  // The same as Follow(*tail.source) when the samples not yet folded in are among the tail's
  // (its window gained at most one sample since the last call, or holds at most two), read from
  // the tail alone; false, with nothing changed, when the window itself must be followed.
  bool FollowTail(const SamplesTail& tail);

  // phi of the silence since `last_received`. `expected` is the node's snapshot interval; it
  // stands in for the history when fewer than three arrivals are known, and replay bursts (gaps
  // below a quarter of it) are ignored.
  double Phi(absl::Time last_received, absl::Time now, absl::Duration expected) const {
    return PhiOf(Terms(last_received, now, expected));
  }
  // What Phi computes phi from.
  PhiTerms Terms(absl::Time last_received, absl::Time now, absl::Duration expected) const;

  // The offset (agent clock minus collector clock) of smallest magnitude over the last
  // kOffsets samples; InfiniteDuration() when there are none.
  absl::Duration ClockOffset() const;

 private:
  void Clear();
  // Follows a window of `m` samples of which only samples first..m-1 are at hand, sample k at
  // held[k - first]: what Follow does over the whole window, or false, with nothing changed,
  // when the samples to fold in start before `first`.
  bool FollowHeld(const SnapshotSample* held, size_t first, size_t m);
  void Fold(const SnapshotSample& sample, const SnapshotSample* previous);
  // Drops what falls out of a window of `m` samples.
  void Keep(size_t m);
  bool IsNewest(const SnapshotSample& s) const {
    return s.received == newest_received_ && s.seq == newest_seq_ && s.taken == newest_taken_;
  }

  // Rings, oldest at [start]: gaps between consecutive arrivals (seconds), and clock offsets.
  std::array<double, kArrivals - 1> gaps_{};
  size_t gaps_start_ = 0, gaps_size_ = 0;
  std::array<absl::Duration, kOffsets> offsets_{};
  size_t offsets_start_ = 0, offsets_size_ = 0;
  // The newest sample folded in, to find where the next call's new samples begin.
  bool has_newest_ = false;
  absl::Time newest_received_, newest_taken_;
  uint64_t newest_seq_ = 0;
};

// phi over `samples` from scratch (one ArrivalWindow that follows them once).
double ArrivalPhi(const std::vector<SnapshotSample>& samples, absl::Time last_received,
                  absl::Time now, absl::Duration expected);

}  // namespace guts::collector
