// QuorumWeight: the weight a group must hold to finalize, by the consensus mode's own rule.
//   simulation (API) mode: ceil(2/3 x total weight)          (3 of 4, 5 of 7, 7 of 10)
//   Simplex:               n - floor((n-1)/3), one vote each (3 of 4, 5 of 7, 7 of 10, 21 of 31)
// The two differ for some n (n = 6: 4 vs 5), so every quorum figure goes through this one
// function.
//
// Example:
//   uint64_t q = QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 7);  // 5
//
// Thread-safe: a pure function.
#pragma once

#include <cstdint>

#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

// `total` is the total weight (simulation) or the participant count (Simplex). 0 for 0.
// CONSENSUS_MODE_UNSPECIFIED follows the simulation rule.
uint64_t QuorumWeight(guts::diag::v1::ConsensusMode mode, uint64_t total);

}  // namespace guts::collector
