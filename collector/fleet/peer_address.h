// PeerAddress: a canonical IPv4 P2P address ("10.0.3.7:9000", or "10.0.3.7" without a port) as
// one integer key, so the analysis can match peers to nodes with integer lookups, and the
// fleet state can reduce a snapshot's PeerViews to a compact table once, at ingest, instead of
// the analysis walking every PeerView message on every tick.
//
// The mapping is exact: two canonical strings are equal exactly when their keys are. Anything
// else (IPv6, host names, leading zeros, a missing port number after ':') has no key and is
// compared as text by the analysis, so using keys never changes which peer matches which node.
//
// Example:
//   std::optional<uint64_t> key = AddressKey("10.0.3.7:9000");
//   uint32_t ip = KeyHost(*key);                       // == *HostKey("10.0.3.7")
//   CompactPeers compact = CompactPeersOf(snapshot);   // at ingest, stored with the snapshot
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "collector/fleet/fleet_view.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

// Key of a canonical "a.b.c.d:port" or "a.b.c.d"; nullopt for anything else.
std::optional<uint64_t> AddressKey(std::string_view addr);
// Key of a canonical "a.b.c.d" (the host part of an address); nullopt for anything else.
std::optional<uint32_t> HostKey(std::string_view host);
// The host part of an address key: equal to HostKey(HostOf(addr)) (common/host_port.h).
uint32_t KeyHost(uint64_t key);

// An order-sensitive 64-bit hash of a list of address keys (CompactPeers::reachable_hash).
// Lists of one node's successive snapshots with equal hashes and sizes are taken as equal, as
// participant sets are (SnapshotFigures::participants_hash).
uint64_t ReachableHash(const std::vector<uint64_t>& keys);

// An order-sensitive 64-bit hash of sessions' remote keys and directions
// (CompactPeers::sessions_hash), made at ingest. The analysis takes one node's successive
// session lists with equal hashes and sizes as equal and keeps what it resolved them to. Safe
// because a changed list shows as a changed hash but for a chance of 2^-64 a comparison (about
// one in 10^9 over a year of 10 000 nodes compared once a second); a collision would keep the
// node's old resolution of those sessions, for as long as the new list stays unchanged.
uint64_t SessionsHash(const std::vector<PeerSession>& sessions);

// `snapshot`'s PeerViews and reachable probes as keys. `valid` is false when any of them has
// no key (the analysis then reads the snapshot itself). `source` is left null: such peers are
// never current for a node (PeersCurrent).
CompactPeers CompactPeersOf(const guts::diag::v1::Snapshot& snapshot);
// The same, with `source` = `snapshot` (not null): what the fleet state stores beside it.
CompactPeers CompactPeersOf(std::shared_ptr<const guts::diag::v1::Snapshot> snapshot);

// Whether `obs.latest_peers` were made from `obs.latest` itself (valid, and their source is the
// same snapshot object). Reads the two pointers only, never the snapshot message.
bool PeersCurrent(const NodeObservation& obs);

}  // namespace guts::collector
