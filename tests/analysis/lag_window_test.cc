// LagWindow (lag_window.h): the ring of a node's lag samples holds what the deque it replaced
// held, however the samples, windows and gaps come.
#include "collector/analysis/lag_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <utility>

namespace guts::collector {
namespace {

// The lag trend's window (LagWindow, a ring that drops samples lazily) against the deque it
// replaced, appended and popped as UpdateNodes did: after every Add the samples in the window,
// the oldest and the largest are the deque's. The steps mix the steady tick (one sample a second
// into a 20 s window), gaps that clear the window, lags that rise then fall, a window longer
// than the ring's first capacities, windows that change or are negative, and time going back.
TEST(LagWindowTest, HoldsWhatTheDequeOfSamplesHeld) {
  using Deque = std::deque<std::pair<absl::Time, uint64_t>>;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    auto roll = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    LagWindow ring;
    Deque deque;
    absl::Time now = absl::FromUnixSeconds(1'800'000'000);
    absl::Duration window = absl::Seconds(20);
    uint64_t lag = 0;
    for (int step = 0; step < 600; ++step) {
      const int what = roll(100);
      if (what < 3) {
        now += absl::Seconds(5 + roll(40));  // a gap (more than three intervals, mostly)
      } else if (what < 5) {
        now -= absl::Seconds(1 + roll(30));  // the clock went back
      } else if (what < 7) {
        now += absl::ZeroDuration();  // two ticks at one instant
      } else {
        now += absl::Milliseconds(500 + roll(1000));
      }
      if (what == 50) window = absl::Seconds(roll(4) == 0 ? 200 : 20);  // longer than the ring
      if (what == 51) window = absl::Seconds(roll(3) - 1);              // -1, 0 or 1 s
      if (seed % 4 == 0) window = absl::Seconds(200);
      // Rises, falls and plateaus.
      const int move = roll(10);
      if (move < 4) {
        lag += static_cast<uint64_t>(roll(5));
      } else if (move < 7) {
        lag -= std::min<uint64_t>(lag, static_cast<uint64_t>(roll(7)));
      }
      const absl::Duration gap = 3 * absl::Milliseconds(800 + roll(800));
      ring.Add(now, lag, window, gap);
      if (!deque.empty() && now - deque.back().first > gap) deque.clear();
      deque.emplace_back(now, lag);
      while (!deque.empty() && now - deque.front().first > window) deque.pop_front();

      const LagWindow::Trend trend = ring.Summary();
      ASSERT_EQ(trend.samples, deque.size()) << "seed " << seed << " step " << step;
      if (deque.empty()) continue;
      uint64_t largest = 0;
      for (const auto& [t, l] : deque) largest = std::max(largest, l);
      ASSERT_EQ(trend.oldest_at, deque.front().first) << "seed " << seed << " step " << step;
      ASSERT_EQ(trend.oldest, deque.front().second) << "seed " << seed << " step " << step;
      ASSERT_EQ(trend.largest, largest) << "seed " << seed << " step " << step;
    }
  }
}

// A node falls behind, then starts catching up: the window keeps the largest lag it had, which
// the newest is now below (the detector stays quiet); after a gap in its samples (it went
// silent) the trend starts afresh from the lag it comes back with.
TEST(LagWindowTest, KeepsTheLargestAfterTheLagFallsAndRestartsAfterAGap) {
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  LagWindow window;
  const absl::Duration lag_window = absl::Seconds(20), gap = absl::Seconds(3);
  for (int s = 0; s <= 20; ++s) window.Add(start + absl::Seconds(s), 10 + s, lag_window, gap);
  LagWindow::Trend rising = window.Summary();
  EXPECT_EQ(rising.samples, 21u);
  EXPECT_EQ(rising.oldest, 10u);
  EXPECT_EQ(rising.largest, 30u);
  for (int s = 21; s <= 25; ++s) window.Add(start + absl::Seconds(s), 60 - s, lag_window, gap);
  LagWindow::Trend falling = window.Summary();
  EXPECT_EQ(falling.samples, 21u);
  EXPECT_EQ(falling.oldest_at, start + absl::Seconds(5));
  EXPECT_EQ(falling.oldest, 15u);
  EXPECT_EQ(falling.largest, 39u);  // at 21 s; the newest (35) is below it
  // Silent for 10 s (more than the 3 s gap): the window holds only what came after.
  window.Add(start + absl::Seconds(35), 7, lag_window, gap);
  LagWindow::Trend fresh = window.Summary();
  EXPECT_EQ(fresh.samples, 1u);
  EXPECT_EQ(fresh.oldest, 7u);
  EXPECT_EQ(fresh.largest, 7u);
}

}  // namespace
}  // namespace guts::collector
