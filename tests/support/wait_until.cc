#include "tests/support/wait_until.h"

#include "absl/time/clock.h"

namespace guts::testing {

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return true;
}

}  // namespace guts::testing
