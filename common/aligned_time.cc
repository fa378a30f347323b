#include "common/aligned_time.h"

namespace guts {

absl::Time NextAlignedTime(absl::Time now, absl::Duration period, absl::Duration offset) {
  const absl::Duration since_epoch = now - absl::UnixEpoch() - offset;
  // absl's % on durations keeps the sign of the dividend; bring it into [0, period).
  absl::Duration into = since_epoch % period;
  if (into < absl::ZeroDuration()) into += period;
  return now - into + period;
}

}  // namespace guts
