// Who dials whom, and how a message reaches a validator its sender has no connection to.
//
// Full mesh (ring_peers 0): every node dials every other; a message always goes straight to
// its destination. Light mode (ring_peers K > 0, for networks of hundreds to thousands of
// nodes): a node dials its K ring neighbours (K/2 on each side) plus the nodes at ring
// distances 2^j on both sides (a chord overlay), about K + 2 log2(N/K) links instead of N - 1.
// A consensus message for a node it has no link to is handed to the peer closest to the
// destination on the ring (greedy routing: each hop at least halves the remaining distance,
// so at most about log2(N) hops), and every relaying node forwards it the same way, over its
// own TCP connections. A cut link on the way loses the message, as a cut direct link does.
//
// Example:
//   Overlay overlay(/*nodes=*/1000, /*ring_peers=*/4);
//   std::vector<uint32_t> peers = overlay.Peers(7);  // whom v8 dials
//   uint32_t hop = overlay.NextHop(7, 500);           // where v8 sends a message for v501
//
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace guts::sim {

class Overlay {
 public:
  // REQUIRES: nodes >= 1, ring_peers >= 0.
  Overlay(int nodes, int ring_peers);

  bool full_mesh() const { return ring_peers_ == 0; }
  // Whether a and b hold connections to each other (a symmetric relation; false for a == b).
  bool Linked(uint32_t a, uint32_t b) const;
  // The nodes `i` dials, ascending.
  std::vector<uint32_t> Peers(uint32_t i) const;
  // The largest number of peers any node has (for sizing the process's sockets).
  int MaxPeers() const;
  // The peer of `from` a message for `to` goes to next: `to` itself when linked.
  // REQUIRES: from != to.
  uint32_t NextHop(uint32_t from, uint32_t to) const;

 private:
  // The shorter way around the ring between a and b.
  uint32_t Distance(uint32_t a, uint32_t b) const;

  uint32_t nodes_;
  int ring_peers_;
  std::vector<uint32_t> offsets_;  // The ring distances of a node's peers, ascending.
};

}  // namespace guts::sim
