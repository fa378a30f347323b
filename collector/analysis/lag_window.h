// LagWindow: a node's lag samples within the lag window, as the consensus detector's lag trend
// reads them (how many, the oldest, the largest). AnalysisHistory keeps one per node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace guts::collector {

// A node's lag samples within lag_window, oldest first, as a std::deque appended each tick and
// popped from the front would hold them, in one contiguous ring that UpdateNodes touches at one
// place a tick: the slot it writes. The deque's front and back lived in separately allocated
// blocks, a miss each per node and tick (most of UpdateNodes at 10 000 nodes). Samples that
// fell out of the window are dropped lazily: they stay in the ring until their slot is needed
// (the ring is full and the oldest sample is out of the new window) or until Summary() skips them.
// The ring grows when a full one holds only samples still inside the window, so no window
// length (lag_window over the tick) is capped.
class LagWindow {
 public:
  // What the lag trend reads: how many samples are in the window, the oldest (when, its lag)
  // and the largest lag. Empty: samples == 0, the rest zero.
  struct Trend {
    size_t samples = 0;
    absl::Time oldest_at;
    uint64_t oldest = 0;
    uint64_t largest = 0;
  };

  // Appends `lag` at `now`, after dropping every sample when the newest is more than `gap`
  // older than `now` (a gap in the samples starts the trend afresh), then drops the samples
  // more than `window` older than `now`, from the oldest on, as the deque's pop_front loop did.
  void Add(absl::Time now, uint64_t lag, absl::Duration window, absl::Duration gap);
  Trend Summary() const;
  // Where the next Add writes (to prefetch; in a full ring, its oldest sample's slot, which it
  // reads first), or nullptr before the ring has one.
  const void* NextSlot() const {
    return slots_.empty() ? nullptr : &slots_[(start_ + count_) % slots_.size()];
  }

 private:
  struct Sample {
    absl::Time at;
    uint64_t lag = 0;
  };
  // Index of the ring's k-th sample, oldest first.
  size_t At(size_t k) const { return (start_ + k) % slots_.size(); }
  // Drops the samples the last Add's window left out, so the ring holds the window exactly.
  void Settle();
  // Appends at the ring's end, growing it when full.
  void Push(absl::Time now, uint64_t lag);

  std::vector<Sample> slots_;  // the ring; its size is the capacity
  uint32_t start_ = 0;         // the oldest sample kept
  uint32_t count_ = 0;         // samples kept, those out of the window included
  // The last Add's time (the newest sample's) and window: a kept sample more than window_ older
  // than last_, with only such samples before it, is out of the window.
  absl::Time last_ = absl::InfinitePast();
  absl::Duration window_ = absl::ZeroDuration();
};

}  // namespace guts::collector
