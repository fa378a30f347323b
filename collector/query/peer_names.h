// Peer names for `gutsctl node show`: which agent-named node stands behind each P2P address,
// bare IP and public key one node's snapshot mentions (its sessions, probes and leader), so the
// operator reads "v3" where the snapshot says "127.0.0.3:9000" or "a3f9c2...".
//
// Example:
//   std::map<std::string, std::string> names =
//       PeerNamesFor(detail.latest(), fleet.View(now, false), analysis.get());
//   detail.mutable_peer_names()->insert(names.begin(), names.end());
//
// Thread-safe: a pure function.
#pragma once

#include <map>
#include <string>

#include "collector/analysis/analyzer.h"
#include "collector/fleet/fleet_view.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

// The names of the addresses, IPs and keys `snapshot` uses, by what the fleet knows: each
// agent's node id under its Hello's P2P address (and that address's IP when no other node
// shares it), its config's or log's public key, and the validators its node API lists (by key
// and address); validators without an agent under the name the analysis gives them. An
// agent's own id wins over a validator list's name. `analysis` may be null.
std::map<std::string, std::string> PeerNamesFor(const guts::diag::v1::Snapshot& snapshot,
                                                const FleetView& view,
                                                const AnalysisResult* analysis);

}  // namespace guts::collector
