// RealisticSnapshot: snapshots shaped like a validator's in a 21-node network (20 peers, health
// checks, consensus, system figures, a few metric series; about 1.5 KB serialized), whose
// figures move from one snapshot to the next the way real ones do (counters grow, ages and
// RTTs jitter, the height advances), so compression is measured on plausible data.
//
// Example:
//   RealisticSnapshot maker("v3", 3, /*seed=*/3);
//   const Snapshot& s = maker.Next(seq, absl::Now());
//
// Not thread-safe: one maker per simulated agent.
#pragma once

#include <random>
#include <string>

#include "absl/time/time.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::bench {

class RealisticSnapshot {
 public:
  // `fleet` > 0: node `index` of a fleet of that many whose peer lists agree with each other
  // (P2pAddress): it dials the 10 nodes after it and is dialled by the 10 before it, around a
  // ring, so every peer it reports is a node of the fleet that reports it back. 0: the
  // 21-node network's addresses, shared by every index beyond 255 (the bytes the store
  // figures were measured on).
  RealisticSnapshot(const std::string& node_id, int index, uint32_t seed, int fleet = 0);

  // The P2P address ("10.x.y.z:9000") of node `index` of a fleet (the `fleet` > 0 mode).
  static std::string P2pAddress(int index);

  // The snapshot for `seq` taken at `taken`. The reference stays valid until the next call.
  const guts::diag::v1::Snapshot& Next(uint64_t seq, absl::Time taken);

 private:
  guts::diag::v1::Snapshot s_;
  std::mt19937 rng_;
};

}  // namespace guts::bench
