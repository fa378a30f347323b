// WaitUntil: polls `done` every 250 ms until it answers true (true) or `timeout` has passed
// (false). For the functional deadlines of e2e tests, never for speed assertions.
//
// Example:
//   ASSERT_TRUE(WaitUntil([&] { return HealthyHeard(a) == kNodes; }, absl::Seconds(60)));
#pragma once

#include <functional>

#include "absl/time/time.h"

namespace guts::testing {

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout);

}  // namespace guts::testing
