// Instants on a shared grid of the Unix clock: every agent takes its snapshots on the whole
// multiples of its interval, and the collector ticks half a tick after them. With free-running
// schedules the tick's phase against the snapshots was whatever the start-up left; on a quiet
// host it stayed there, and a snapshot taken just after a tick waited a whole tick to be read.
// On the grid a snapshot is read about half a tick after it is taken, on every host whose
// clock is synchronised (a skewed clock only costs its own node that half tick).
//
// Example:
//   absl::Time next = NextAlignedTime(absl::Now(), absl::Seconds(1), absl::Milliseconds(500));
#pragma once

#include "absl/time/time.h"

namespace guts {

// The first instant after `now` that lies `offset` past a whole multiple of `period` counted
// from the Unix epoch. `period` must be positive; `offset` is taken modulo `period`.
absl::Time NextAlignedTime(absl::Time now, absl::Duration period, absl::Duration offset);

}  // namespace guts
