#include "collector/analysis/liveness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

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

// phi and the clock offset computed straight from the samples, the way the analysis did before
// it kept windows between ticks: the window must give the very same numbers.
double ReferencePhi(const std::vector<SnapshotSample>& samples, absl::Time last_received,
                    absl::Time now, absl::Duration expected) {
  const double expected_s = absl::ToDoubleSeconds(expected);
  double sum = 0, sum_sq = 0;
  int count = 0;
  size_t first = samples.size() > 30 ? samples.size() - 30 : 0;
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
  stddev = std::max(stddev, std::max(mean, expected_s) / 4);
  mean = std::max(mean, expected_s);
  double elapsed = absl::ToDoubleSeconds(now - last_received);
  double y = (elapsed - mean) / stddev;
  double e = std::exp(-y * (1.5976 + 0.070566 * y * y));
  if (elapsed > mean) return -std::log10(e / (1.0 + e));
  return -std::log10(1.0 - 1.0 / (1.0 + e));
}

absl::Duration ReferenceOffset(const std::vector<SnapshotSample>& samples) {
  absl::Duration skew = absl::InfiniteDuration();
  for (size_t i = samples.size() > 5 ? samples.size() - 5 : 0; i < samples.size(); ++i) {
    absl::Duration offset = samples[i].taken - samples[i].received;
    if (absl::AbsDuration(offset) < absl::AbsDuration(skew)) skew = offset;
  }
  return skew;
}

// Arrivals with jitter, pauses, replay bursts and a drifting agent clock; the fleet state's
// window (`keep`) drops the oldest.
void FollowTickByTick(size_t keep) {
  absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  uint64_t rng = 7;
  std::vector<SnapshotSample> samples;
  ArrivalWindow window;
  for (uint64_t seq = 1; seq <= 400; ++seq) {
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    int r = static_cast<int>((rng >> 33) % 1000);
    absl::Duration gap = absl::Milliseconds(700 + r * 0.6);
    if (seq % 97 == 0) gap = absl::Seconds(9);                        // a pause
    if (seq % 50 > 44) gap = absl::Microseconds(1500 + r);            // a replay burst
    t += gap + absl::Nanoseconds(r % 4 == 0 ? 0.25 * (r % 3) : 0.0);  // sub-ns ticks too
    absl::Duration drift = absl::Milliseconds(static_cast<int>(seq % 40) * 900 - 18000);
    samples.push_back({.received = t, .taken = t + drift, .seq = seq});
    if (samples.size() > keep) samples.erase(samples.begin());
    // Several arrivals between two ticks now and then.
    if (seq % 7 == 3) continue;
    window.Follow(samples);
    for (double silence_s : {0.2, 1.3, 2.9, 7.0}) {
      absl::Time now = t + absl::Seconds(silence_s);
      ASSERT_EQ(window.Phi(t, now, absl::Seconds(1)),
                ReferencePhi(samples, t, now, absl::Seconds(1)))
          << "seq " << seq;
    }
    ASSERT_EQ(window.ClockOffset(), ReferenceOffset(samples)) << "seq " << seq;
  }
}

TEST(LivenessTest, WindowFollowedTickByTickGivesThePhiOfTheWholeSamples) { FollowTickByTick(120); }

TEST(LivenessTest, WindowFollowsAFleetStateWindowShorterThanItsOwn) { FollowTickByTick(3); }

TEST(LivenessTest, WindowRebuildsWhenTheSamplesAreReplaced) {
  absl::Time start = absl::FromUnixSeconds(1000);
  ArrivalWindow window;
  window.Follow(Arrivals(start, std::vector<double>(40, 1.0)));
  // A restart: the samples come back from the store, different and fewer.
  auto restored = Arrivals(start + absl::Hours(1), {2.0, 2.0, 2.0, 2.0, 2.0});
  window.Follow(restored);
  absl::Time last = restored.back().received;
  EXPECT_EQ(window.Phi(last, last + absl::Seconds(3), absl::Seconds(1)),
            ReferencePhi(restored, last, last + absl::Seconds(3), absl::Seconds(1)));
  window.Follow({});
  EXPECT_EQ(window.ClockOffset(), absl::InfiniteDuration());
}

// PhiAtLeast answers "not silent" without computing phi when the silence is within the mean
// gap; it must agree with phi itself for every silence and threshold, including thresholds
// near log10(2), the most phi can be then, and Terms with Phi.
TEST(LivenessTest, PhiAtLeastAgreesWithPhiAroundTheMeanGap) {
  absl::Time start = absl::FromUnixSeconds(1000);
  const std::vector<std::vector<double>> histories = {
      std::vector<double>(40, 1.0),
      {0.4, 1.6, 0.5, 1.5, 0.6, 1.4, 0.5, 1.5, 0.4, 1.6, 0.5, 1.5},
      {1.0, 1.0},
      {}};
  const std::vector<double> thresholds = {
      0.0, 0.1, 0.25, 0.29, 0.3, 0.301, 0.3011, kPhiNotLateMost, 0.31, 0.5, 1.0, 8.0};
  int not_late = 0;
  for (const auto& gaps : histories) {
    auto samples = Arrivals(start, gaps);
    ArrivalWindow window;
    window.Follow(samples);
    const absl::Time last = samples.empty() ? start : samples.back().received;
    for (int ms = 0; ms <= 6000; ms += 7) {
      const absl::Time now = last + absl::Milliseconds(ms);
      const PhiTerms terms = window.Terms(last, now, absl::Seconds(1));
      const double phi = window.Phi(last, now, absl::Seconds(1));
      EXPECT_EQ(PhiOf(terms), phi);
      EXPECT_EQ(phi, ArrivalPhi(samples, last, now, absl::Seconds(1)));
      if (!terms.late) {
        ++not_late;
        EXPECT_LE(phi, kPhiNotLateMost);
      }
      for (double threshold : thresholds) {
        EXPECT_EQ(PhiAtLeast(terms, threshold), phi >= threshold)
            << "silence " << ms << " ms, threshold " << threshold << ", phi " << phi;
      }
    }
  }
  EXPECT_GT(not_late, 100);
}

// Phi sums the gaps ring as two runs, oldest first: for every place the ring can start, phi
// equals the formula over the last kArrivals - 1 gaps summed in arrival order.
TEST(LivenessTest, PhiSumsTheGapsOldestFirstWhereverTheRingStarts) {
  absl::Time start = absl::FromUnixSeconds(1000);
  std::vector<double> gaps;
  for (int k = 0; k < 80; ++k) gaps.push_back(1.2 + 0.05 * ((k * 37) % 41));
  for (size_t m = 1; m <= gaps.size(); ++m) {
    const std::vector<double> head(gaps.begin(), gaps.begin() + static_cast<long>(m));
    auto samples = Arrivals(start, head);
    ArrivalWindow window;
    for (size_t k = 1; k <= samples.size(); ++k) {
      window.Follow(std::vector<SnapshotSample>(samples.begin(), samples.begin() + k));
    }
    const absl::Time last = samples.back().received;
    const absl::Time now = last + absl::Milliseconds(2500);
    // The reference sums the last kArrivals samples' gaps in arrival order.
    const double want = ReferencePhi(samples, last, now, absl::Seconds(1));
    EXPECT_EQ(window.Phi(last, now, absl::Seconds(1)), want) << m << " samples";
    EXPECT_EQ(PhiOf(window.Terms(last, now, absl::Seconds(1))), want) << m << " samples";
  }
}

// FollowTail reads only a window's last two samples; it must leave a window exactly as Follow
// over the whole window would, or refuse. Windows of 0, 1, 2 and more samples (bounded at 1, 2,
// 3 and 120), gaining 0, 1, 2 or 3 samples between calls, and replaced outright (a restart or
// reset: new samples, fewer or none).
TEST(LivenessTest, FollowTailLeavesTheWindowAsFollowingTheWholeSamples) {
  for (size_t keep : {size_t{1}, size_t{2}, size_t{3}, size_t{120}}) {
    absl::Time t = absl::FromUnixSeconds(1'800'000'000);
    uint64_t rng = 11 + keep;
    uint64_t seq = 0;
    std::vector<SnapshotSample> samples;
    ArrivalWindow whole, tailed;
    int from_tail = 0, refused = 0;
    for (int tick = 0; tick < 600; ++tick) {
      rng = rng * 6364136223846793005u + 1442695040888963407u;
      const int r = static_cast<int>((rng >> 33) % 1000);
      if (r < 15) {
        // Replaced: none, one, two or five samples of another run.
        samples.clear();
        t += absl::Hours(1);
        for (int k = 0; k < (r % 4 == 3 ? 5 : r % 4); ++k) {
          t += absl::Milliseconds(900 + r);
          samples.push_back({.received = t, .taken = t - absl::Milliseconds(r), .seq = ++seq});
        }
        while (samples.size() > keep) samples.erase(samples.begin());
      } else {
        const int gained = r < 700 ? 1 : r < 800 ? 0 : r < 900 ? 2 : 3;
        for (int k = 0; k < gained; ++k) {
          t += absl::Milliseconds(700 + (r * 7) % 600);
          const absl::Duration drift = absl::Milliseconds(static_cast<int>(seq % 40) * 900 - 18000);
          samples.push_back({.received = t, .taken = t + drift, .seq = ++seq});
          if (samples.size() > keep) samples.erase(samples.begin());
        }
      }
      whole.Follow(samples);
      const SamplesTail tail =
          SamplesTailOf(std::make_shared<const std::vector<SnapshotSample>>(samples));
      if (tailed.FollowTail(tail)) {
        ++from_tail;
      } else {
        ++refused;
        tailed.Follow(samples);
      }
      const absl::Time last = samples.empty() ? t : samples.back().received;
      for (double silence_s : {0.2, 1.3, 2.9, 7.0}) {
        const absl::Time now = last + absl::Seconds(silence_s);
        const PhiTerms want = whole.Terms(last, now, absl::Seconds(1));
        const PhiTerms got = tailed.Terms(last, now, absl::Seconds(1));
        ASSERT_EQ(got.y, want.y) << "keep " << keep << " tick " << tick;
        ASSERT_EQ(got.late, want.late) << "keep " << keep << " tick " << tick;
      }
      ASSERT_EQ(tailed.ClockOffset(), whole.ClockOffset()) << "keep " << keep << " tick " << tick;
    }
    EXPECT_GT(from_tail, 300) << "keep " << keep;
    if (keep > 2) {
      EXPECT_GT(refused, 20) << "keep " << keep;
    }
  }
}

// The tail covers what is new only up to one sample since the last call (or a window of at
// most two): a window that gained two, or that starts over with more than two, is refused.
TEST(LivenessTest, FollowTailRefusesWhatItsTwoSamplesCannotCover) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  auto samples = Arrivals(start, {1.0, 1.0, 1.0, 1.0});
  auto tail_of = [](std::vector<SnapshotSample> s) {
    return SamplesTailOf(std::make_shared<const std::vector<SnapshotSample>>(std::move(s)));
  };
  ArrivalWindow window;
  EXPECT_FALSE(window.FollowTail(tail_of(samples)));  // nothing folded yet, four samples
  window.Follow(samples);
  auto more = Arrivals(start, {1.0, 1.0, 1.0, 1.0, 1.0, 1.0});
  EXPECT_FALSE(window.FollowTail(tail_of(more)));  // two new
  more.pop_back();
  EXPECT_TRUE(window.FollowTail(tail_of(more)));  // one new
  EXPECT_TRUE(window.FollowTail(tail_of(more)));  // none new
  EXPECT_TRUE(window.FollowTail(tail_of({})));    // emptied
  EXPECT_EQ(window.ClockOffset(), absl::InfiniteDuration());
  EXPECT_TRUE(window.FollowTail(tail_of(Arrivals(start, {1.0, 1.0}))));  // starts over with two
}

}  // namespace
}  // namespace guts::collector
