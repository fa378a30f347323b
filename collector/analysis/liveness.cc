#include "collector/analysis/liveness.h"

#include <algorithm>
#include <cmath>

namespace guts::collector {

void ArrivalWindow::Clear() {
  gaps_start_ = gaps_size_ = 0;
  offsets_start_ = offsets_size_ = 0;
  has_newest_ = false;
}

void ArrivalWindow::Fold(const SnapshotSample& sample, const SnapshotSample* previous) {
  if (previous != nullptr) {
    double gap = absl::ToDoubleSeconds(sample.received - previous->received);
    if (gaps_size_ < gaps_.size()) {
      gaps_[(gaps_start_ + gaps_size_++) % gaps_.size()] = gap;
    } else {
      gaps_[gaps_start_] = gap;
      gaps_start_ = (gaps_start_ + 1) % gaps_.size();
    }
  }
  absl::Duration offset = sample.taken - sample.received;
  if (offsets_size_ < offsets_.size()) {
    offsets_[(offsets_start_ + offsets_size_++) % offsets_.size()] = offset;
  } else {
    offsets_[offsets_start_] = offset;
    offsets_start_ = (offsets_start_ + 1) % offsets_.size();
  }
  has_newest_ = true;
  newest_received_ = sample.received;
  newest_taken_ = sample.taken;
  newest_seq_ = sample.seq;
}

bool ArrivalWindow::FollowHeld(const SnapshotSample* held, size_t first, size_t m) {
  // Where the samples not yet folded in begin: after the newest one folded before, searched from
  // the back.
  size_t next = 0;
  bool found = false;
  if (has_newest_) {
    for (size_t k = m; k-- > first;) {
      if (IsNewest(held[k - first])) {
        next = k + 1;
        found = true;
        break;
      }
    }
  }
  if (!found) {
    // The window starts over from its last kArrivals samples; when some of them are not held
    // (or the newest folded lies further back), the whole window must be followed.
    next = m > kArrivals ? m - kArrivals : 0;
    if (next < first) return false;
    Clear();
  }
  // Sample k's previous one is held too: k > next >= first when found, first == 0 otherwise.
  for (size_t k = next; k < m; ++k) Fold(held[k - first], k > 0 ? &held[k - 1 - first] : nullptr);
  Keep(m);
  return true;
}

void ArrivalWindow::Follow(const std::vector<SnapshotSample>& samples) {
  FollowHeld(samples.data(), 0, samples.size());
}

bool ArrivalWindow::FollowTail(const SamplesTail& tail) {
  const size_t held = std::min<size_t>(tail.size, 2);
  return FollowHeld(tail.last + (2 - held), tail.size - held, tail.size);
}

void ArrivalWindow::Keep(size_t m) {
  // Only the gaps between the last kArrivals samples count, however many were folded in.
  size_t arrivals = std::min(m, kArrivals);
  size_t keep_gaps = arrivals > 0 ? arrivals - 1 : 0;
  while (gaps_size_ > keep_gaps) {
    gaps_start_ = (gaps_start_ + 1) % gaps_.size();
    --gaps_size_;
  }
  size_t keep_offsets = std::min(m, kOffsets);
  while (offsets_size_ > keep_offsets) {
    offsets_start_ = (offsets_start_ + 1) % offsets_.size();
    --offsets_size_;
  }
  if (m == 0) Clear();
}

PhiTerms ArrivalWindow::Terms(absl::Time last_received, absl::Time now,
                              absl::Duration expected) const {
  const double expected_s = absl::ToDoubleSeconds(expected);
  double sum = 0, sum_sq = 0;
  int count = 0;
  // The ring oldest first, as two runs (no index modulo per gap): the same order of additions.
  auto add = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const double gap = gaps_[i];
      if (gap < expected_s / 4) continue;
      sum += gap;
      sum_sq += gap * gap;
      ++count;
    }
  };
  const size_t first_end = std::min(gaps_start_ + gaps_size_, gaps_.size());
  add(gaps_start_, first_end);
  add(0, gaps_size_ - (first_end - gaps_start_));
  double mean = expected_s, stddev = expected_s / 4;
  if (count >= 3) {
    mean = sum / count;
    stddev = std::sqrt(std::max(0.0, sum_sq / count - mean * mean));
  }
  // A floor on the deviation keeps a metronome-regular agent from being judged silent the
  // moment one snapshot is a little late.
  stddev = std::max(stddev, std::max(mean, expected_s) / 4);
  mean = std::max(mean, expected_s);
  double elapsed = absl::ToDoubleSeconds(now - last_received);
  return PhiTerms{.y = (elapsed - mean) / stddev, .late = elapsed > mean};
}

double PhiOf(const PhiTerms& terms) {
  const double y = terms.y;
  double e = std::exp(-y * (1.5976 + 0.070566 * y * y));
  if (terms.late) return -std::log10(e / (1.0 + e));
  return -std::log10(1.0 - 1.0 / (1.0 + e));
}

absl::Duration ArrivalWindow::ClockOffset() const {
  absl::Duration best = absl::InfiniteDuration();
  for (size_t i = 0; i < offsets_size_; ++i) {
    absl::Duration offset = offsets_[(offsets_start_ + i) % offsets_.size()];
    if (absl::AbsDuration(offset) < absl::AbsDuration(best)) best = offset;
  }
  return best;
}

double ArrivalPhi(const std::vector<SnapshotSample>& samples, absl::Time last_received,
                  absl::Time now, absl::Duration expected) {
  ArrivalWindow window;
  window.Follow(samples);
  return window.Phi(last_received, now, expected);
}

}  // namespace guts::collector
