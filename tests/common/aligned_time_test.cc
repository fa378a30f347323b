#include "common/aligned_time.h"

#include <gtest/gtest.h>

namespace guts {
namespace {

absl::Time At(int64_t ms) { return absl::FromUnixMillis(ms); }

TEST(NextAlignedTimeTest, NextWholeMultipleOfThePeriodPlusTheOffset) {
  EXPECT_EQ(NextAlignedTime(At(12'300), absl::Seconds(1), absl::ZeroDuration()), At(13'000));
  EXPECT_EQ(NextAlignedTime(At(12'300), absl::Seconds(1), absl::Milliseconds(500)), At(12'500));
  EXPECT_EQ(NextAlignedTime(At(12'700), absl::Seconds(1), absl::Milliseconds(500)), At(13'500));
  EXPECT_EQ(NextAlignedTime(At(12'300), absl::Milliseconds(250), absl::ZeroDuration()), At(12'500));
}

TEST(NextAlignedTimeTest, AnInstantOnTheGridGivesTheNextOneNotItself) {
  EXPECT_EQ(NextAlignedTime(At(13'000), absl::Seconds(1), absl::ZeroDuration()), At(14'000));
  EXPECT_EQ(NextAlignedTime(At(13'500), absl::Seconds(1), absl::Milliseconds(500)), At(14'500));
}

TEST(NextAlignedTimeTest, OffsetIsTakenModuloThePeriod) {
  EXPECT_EQ(NextAlignedTime(At(12'300), absl::Seconds(1), absl::Milliseconds(1'500)), At(12'500));
  EXPECT_EQ(NextAlignedTime(At(12'300), absl::Seconds(1), absl::Milliseconds(-500)), At(12'500));
}

TEST(NextAlignedTimeTest, SubMillisecondInstantsAndPeriodsThatDoNotDivideASecond) {
  absl::Time now = At(10'000) + absl::Microseconds(1);
  EXPECT_EQ(NextAlignedTime(now, absl::Seconds(1), absl::ZeroDuration()), At(11'000));
  // 7 s grid: 7 000, 14 000, ...
  EXPECT_EQ(NextAlignedTime(At(10'000), absl::Seconds(7), absl::ZeroDuration()), At(14'000));
}

TEST(NextAlignedTimeTest, InstantsBeforeTheEpoch) {
  EXPECT_EQ(NextAlignedTime(At(-1'300), absl::Seconds(1), absl::ZeroDuration()), At(-1'000));
}

}  // namespace
}  // namespace guts
