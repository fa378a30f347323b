#include "collector/analysis/lag_window.h"

#include <algorithm>

namespace guts::collector {

void LagWindow::Settle() {
  while (count_ > 0 && last_ - slots_[start_].at > window_) {
    start_ = static_cast<uint32_t>(At(1));
    --count_;
  }
}

void LagWindow::Push(absl::Time now, uint64_t lag) {
  if (count_ == slots_.size()) {
    // The first ring holds the default window (20 s) at a tick a second, 21 samples, and the
    // few out of it that wait for their slot: one allocation a node in the usual fleet.
    constexpr size_t kFirstCapacity = 24;
    std::vector<Sample> grown(std::max(kFirstCapacity, 2 * slots_.size()));
    for (size_t k = 0; k < count_; ++k) grown[k] = slots_[At(k)];
    slots_ = std::move(grown);
    start_ = 0;
  }
  slots_[At(count_)] = Sample{now, lag};
  ++count_;
}

void LagWindow::Add(absl::Time now, uint64_t lag, absl::Duration window, absl::Duration gap) {
  // Kept: the samples of the deque this replaces, after a prefix of samples out of the window
  // (last_ - at > window_, all of them). Appending at a time not earlier than last_ with the
  // same window pops from the front what the deque popped, that prefix among it, so it stays
  // kept until its slot is wanted. Otherwise (time went back, another window, a negative one)
  // the ring is settled and follows the deque step by step.
  if (now >= last_ && window == window_ && window_ >= absl::ZeroDuration()) {
    // The newest sample (at last_) is inside the window, so the deque's back is the ring's.
    if (count_ > 0 && now - last_ > gap) {
      count_ = 0;
      start_ = 0;
    }
    // A full ring whose oldest sample is out of the new window: its slot takes the new one.
    if (count_ > 0 && count_ == slots_.size() && now - slots_[start_].at > window) {
      slots_[start_] = Sample{now, lag};
      start_ = static_cast<uint32_t>(At(1));
    } else {
      Push(now, lag);
    }
    last_ = now;
    return;
  }
  Settle();
  if (count_ > 0 && now - slots_[At(count_ - 1)].at > gap) {
    count_ = 0;
    start_ = 0;
  }
  Push(now, lag);
  last_ = now;
  window_ = window;
  Settle();
}

LagWindow::Trend LagWindow::Summary() const {
  Trend trend;
  size_t k = 0;
  while (k < count_ && last_ - slots_[At(k)].at > window_) ++k;
  if (k == count_) return trend;
  trend.samples = count_ - k;
  trend.oldest_at = slots_[At(k)].at;
  trend.oldest = slots_[At(k)].lag;
  for (; k < count_; ++k) trend.largest = std::max(trend.largest, slots_[At(k)].lag);
  return trend;
}

}  // namespace guts::collector
