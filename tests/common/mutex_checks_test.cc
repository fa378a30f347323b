#include "common/mutex_checks.h"

#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace guts {
namespace {

// Takes two mutexes in one order, then in the other: no deadlock (one thread), but the order
// inversion Abseil's deadlock detector reports.
void InvertLockOrder() {
  absl::Mutex a, b;
  {
    absl::MutexLock first(&a);
    absl::MutexLock second(&b);
  }
  {
    absl::MutexLock first(&b);
    absl::MutexLock second(&a);
  }
}

// The reason the daemons call SkipMutexDeadlockDetection: Debian's Abseil runs the detector.
// If this starts failing, Debian's build no longer runs it and the call is free to go.
TEST(MutexChecksDeathTest, DebianAbseilDetectsLockOrderInversionByDefault) {
  EXPECT_DEATH(InvertLockOrder(), "Potential Mutex deadlock");
}

TEST(MutexChecksDeathTest, SkippedDetectionLetsTheProcessRun) {
  EXPECT_EXIT(
      {
        SkipMutexDeadlockDetection();
        InvertLockOrder();
        std::exit(0);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace guts
