// Phi accrual (Hayashibara et al.) over snapshot arrival times: how unlikely the current silence
// is given the node's own arrival rhythm. Jittery agents get a wider margin than punctual ones,
// so one late snapshot does not mark a node silent.
#pragma once

#include <vector>

#include "absl/time/time.h"
#include "collector/fleet/fleet_view.h"

namespace guts::collector {

// phi of the silence since `last_received`, from the inter-arrival times in `samples` (received
// on the collector clock, oldest first). `expected` is the node's snapshot interval; it stands
// in for the history when fewer than three arrivals are known, and replay bursts (gaps below a
// quarter of it) are ignored.
double ArrivalPhi(const std::vector<SnapshotSample>& samples, absl::Time last_received,
                  absl::Time now, absl::Duration expected);

}  // namespace guts::collector
