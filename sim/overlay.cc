#include "sim/overlay.h"

#include <algorithm>

namespace guts::sim {

Overlay::Overlay(int nodes, int ring_peers)
    : nodes_(static_cast<uint32_t>(std::max(nodes, 1))), ring_peers_(std::max(ring_peers, 0)) {
  for (uint32_t d = 1; d <= nodes_ / 2; ++d) {
    if (Linked(0, d)) offsets_.push_back(d);
  }
}

uint32_t Overlay::Distance(uint32_t a, uint32_t b) const {
  uint32_t forward = (b + nodes_ - a) % nodes_;
  return std::min(forward, nodes_ - forward);
}

bool Overlay::Linked(uint32_t a, uint32_t b) const {
  if (a == b) return false;
  if (full_mesh()) return true;
  uint32_t d = Distance(a, b);
  bool power_of_two = (d & (d - 1)) == 0;
  return d <= static_cast<uint32_t>((ring_peers_ + 1) / 2) || power_of_two;
}

std::vector<uint32_t> Overlay::Peers(uint32_t i) const {
  std::vector<uint32_t> out;
  for (uint32_t j = 0; j < nodes_; ++j) {
    if (Linked(i, j)) out.push_back(j);
  }
  return out;
}

int Overlay::MaxPeers() const {
  if (full_mesh()) return static_cast<int>(nodes_) - 1;
  // Every node of a ring has the same neighbourhood shape: node 0 stands for all of them.
  return static_cast<int>(Peers(0).size());
}

uint32_t Overlay::NextHop(uint32_t from, uint32_t to) const {
  if (Linked(from, to)) return to;
  uint32_t best = from;
  uint32_t best_distance = Distance(from, to);
  for (uint32_t d : offsets_) {
    for (uint32_t hop : {(from + d) % nodes_, (from + nodes_ - d) % nodes_}) {
      uint32_t left = Distance(hop, to);
      if (left < best_distance) {
        best = hop;
        best_distance = left;
      }
    }
  }
  return best;
}

}  // namespace guts::sim
