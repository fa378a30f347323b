// A stored snapshot record as the writer hands it to the fleet state, with only what the fleet
// state's tests and the analysis loop's read: node, seq, take time and a height (seq x 10).
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "collector/fleet/fleet_state.h"

namespace guts::collector::testing {

inline SnapshotRecord Record(const std::string& node, uint64_t seq, absl::Time taken) {
  SnapshotRecord r;
  r.snapshot.set_node_id(node);
  r.snapshot.set_seq(seq);
  r.snapshot.set_taken_unix_ms(absl::ToUnixMillis(taken));
  r.snapshot.mutable_consensus()->set_finalized_height(seq * 10);
  r.received = taken;
  r.first_seen = taken;
  return r;
}

}  // namespace guts::collector::testing
