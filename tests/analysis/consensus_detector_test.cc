// The consensus detector alone (consensus_detector.cc): a stuck chain, a node falling behind, and a
// fleet one loss away from halting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <utility>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(ConsensusDetectorTest, NoBlockForTheStallThresholdIsConsensusStuckOfTheFleet) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("consensus");  // stall threshold 30 s
  harness.Run(fleet, 20);
  fleet.SetAllRates(0);
  const std::vector<Verdict> stuck = OfKind(harness.Run(fleet, 35), "CONSENSUS_STUCK");
  ASSERT_THAT(stuck, SizeIs(1));
  EXPECT_EQ(stuck[0].cause_key, "CONSENSUS_STUCK");
  EXPECT_EQ(stuck[0].severity, v1::P1);
  EXPECT_EQ(stuck[0].evidence.at("cause"), "application halt (view steady)");
}

TEST(ConsensusDetectorTest, HalfSpeedNodeIsLaggingWithItsLag) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("consensus");
  harness.Run(fleet, 20);
  fleet.SetRate("v5", 0.5);
  const std::vector<Verdict> lagging = OfKind(harness.Run(fleet, 30), "NODE_LAGGING");
  ASSERT_THAT(lagging, SizeIs(1));
  EXPECT_EQ(lagging[0].cause_key, "NODE_LAGGING:v5");
  EXPECT_GE(std::stoi(lagging[0].evidence.at("lag")), 5);
}

TEST(ConsensusDetectorTest, FourNodesOneDownPutTheQuorumAtRisk) {
  SyntheticFleet fleet(4);
  DetectorHarness harness("consensus");
  harness.Run(fleet, 10);
  fleet.Kill("v4");
  const std::vector<Verdict> risk = OfKind(harness.Run(fleet, 10), "QUORUM_AT_RISK");
  ASSERT_THAT(risk, SizeIs(1));
  EXPECT_EQ(risk[0].cause_key, "QUORUM_AT_RISK");
  EXPECT_EQ(risk[0].severity, v1::P2);
  EXPECT_THAT(risk[0].nodes, ElementsAre("v4"));
}

// A snapshot whose node API read failed carries no height: not a node at height 0 with a lag of
// the whole chain (S01's soak: one such snapshot of v7, "lag 535 blocks"). The node is judged
// again from its next snapshot with a height, against the lag it had before.
TEST(ConsensusDetectorTest, SnapshotWithoutAHeightIsNotLagging) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("consensus");
  harness.Run(fleet, 20);
  fleet.SetApiReadFailed("v7", true);
  EXPECT_THAT(OfKind(harness.Run(fleet, 5), "NODE_LAGGING"), SizeIs(0));
  fleet.SetApiReadFailed("v7", false);
  EXPECT_THAT(OfKind(harness.Run(fleet, 3), "NODE_LAGGING"), SizeIs(0));
  // The control: a node really falling behind (a fifth of the pace) is lagging.
  fleet.SetRate("v7", 0.2);
  EXPECT_THAT(OfKind(harness.Run(fleet, 30), "NODE_LAGGING"), SizeIs(1));
}

// The lag trend's window (LagWindow, a ring that drops samples lazily) against the deque it
// replaced, appended and popped as UpdateNodes did: after every Add the samples in the window,
// the oldest and the largest are the deque's. The steps mix the steady tick (one sample a second
// into a 20 s window), gaps that clear the window, lags that rise then fall, a window longer
// than the ring's first capacities, windows that change or are negative, and time going back.
TEST(ConsensusDetectorTest, LagWindowHoldsWhatTheDequeOfSamplesHeld) {
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
TEST(ConsensusDetectorTest, LagWindowKeepsTheLargestAfterTheLagFallsAndRestartsAfterAGap) {
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
}  // namespace guts::collector::testing
