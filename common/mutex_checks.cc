#include "common/mutex_checks.h"

#include "absl/synchronization/mutex.h"

namespace guts {

void SkipMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace guts
