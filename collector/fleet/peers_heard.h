// The one rule for "heard": a node hears a peer when a TCP session with the peer's address
// received data within `peer_heard_within` (AnalysisConfig::peer_heard_within, scaled with the
// analysis time scale), as the node's agent measured it (PeerView.last_data_recv_age_ms). The
// analysis builds its hearing graph with it; the queries count a node's peers heard with it.
//
// Example:
//   const int64_t within_ms = HeardWithinMs(config.peer_heard_within);
//   if (peer.last_data_recv_age_ms() <= within_ms) ...      // heard
//   uint32_t heard = PeersHeard(snapshot, config.peer_heard_within);
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>

#include "absl/time/time.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

// The largest session age, in whole milliseconds (the wire's unit), that counts as heard.
int64_t HeardWithinMs(absl::Duration peer_heard_within);

// The distinct peer hosts `snapshot` heard within `peer_heard_within`. Hosts, not addresses:
// an inbound session carries the peer's ephemeral port.
uint32_t PeersHeard(const guts::diag::v1::Snapshot& snapshot, absl::Duration peer_heard_within);

}  // namespace guts::collector
