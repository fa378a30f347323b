#include "collector/analysis/liveness.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

std::vector<SnapshotSample> Arrivals(absl::Time start, std::vector<double> gaps_s) {
  std::vector<SnapshotSample> out;
  absl::Time t = start;
  for (double g : gaps_s) {
    t += absl::Seconds(g);
    out.push_back({.received = t});
  }
  return out;
}

TEST(LivenessTest, OnTimeSnapshotHasLowPhiAndLongSilenceHigh) {
  absl::Time start = absl::FromUnixSeconds(1000);
  auto samples = Arrivals(start, std::vector<double>(20, 1.0));
  absl::Time last = samples.back().received;
  EXPECT_LT(ArrivalPhi(samples, last, last + absl::Seconds(1), absl::Seconds(1)), 1.0);
  EXPECT_LT(ArrivalPhi(samples, last, last + absl::Milliseconds(1800), absl::Seconds(1)), 8.0);
  EXPECT_GT(ArrivalPhi(samples, last, last + absl::Seconds(4), absl::Seconds(1)), 8.0);
}

TEST(LivenessTest, JitteryAgentGetsMoreMarginThanPunctualOne) {
  absl::Time start = absl::FromUnixSeconds(1000);
  auto punctual = Arrivals(start, std::vector<double>(20, 1.0));
  auto jittery = Arrivals(start, {0.4, 1.6, 0.5, 1.5, 0.6, 1.4, 0.5, 1.5, 0.4, 1.6, 0.5, 1.5});
  absl::Duration silence = absl::Milliseconds(2600);
  double p = ArrivalPhi(punctual, punctual.back().received, punctual.back().received + silence,
                        absl::Seconds(1));
  double j = ArrivalPhi(jittery, jittery.back().received, jittery.back().received + silence,
                        absl::Seconds(1));
  EXPECT_GT(p, j);
}

TEST(LivenessTest, ReplayBurstDoesNotShrinkTheExpectedInterval) {
  absl::Time start = absl::FromUnixSeconds(1000);
  auto samples = Arrivals(start, std::vector<double>(10, 1.0));
  for (int i = 0; i < 50; ++i)
    samples.push_back({.received = samples.back().received + absl::Milliseconds(2)});
  absl::Time last = samples.back().received;
  EXPECT_LT(ArrivalPhi(samples, last, last + absl::Milliseconds(1500), absl::Seconds(1)), 8.0);
}

}  // namespace
}  // namespace guts::collector
