#include "collector/analysis/quorum.h"

namespace guts::collector {

uint64_t QuorumWeight(guts::diag::v1::ConsensusMode mode, uint64_t total) {
  if (total == 0) return 0;
  if (mode == guts::diag::v1::CONSENSUS_MODE_SIMPLEX) return total - (total - 1) / 3;
  return (2 * total + 2) / 3;
}

}  // namespace guts::collector
