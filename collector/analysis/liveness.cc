#include "collector/analysis/liveness.h"

#include <algorithm>
#include <cmath>

namespace guts::collector {

double ArrivalPhi(const std::vector<SnapshotSample>& samples, absl::Time last_received,
                  absl::Time now, absl::Duration expected) {
  const double expected_s = absl::ToDoubleSeconds(expected);
  constexpr size_t kWindow = 30;
  double sum = 0, sum_sq = 0;
  int count = 0;
  size_t first = samples.size() > kWindow ? samples.size() - kWindow : 0;
  for (size_t i = first + 1; i < samples.size(); ++i) {
    double gap = absl::ToDoubleSeconds(samples[i].received - samples[i - 1].received);
    if (gap < expected_s / 4) continue;
    sum += gap;
    sum_sq += gap * gap;
    ++count;
  }
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
  double y = (elapsed - mean) / stddev;
  double e = std::exp(-y * (1.5976 + 0.070566 * y * y));
  if (elapsed > mean) return -std::log10(e / (1.0 + e));
  return -std::log10(1.0 - 1.0 / (1.0 + e));
}

}  // namespace guts::collector
