// A finalized block as the simulated chain records it, and how block ids chain.
//
// Example:
//   BlockHeader genesis = GenesisBlock();
//   BlockHeader next = NextBlock(genesis, /*view=*/1, /*producer=*/0, absl::Now(), "");
//   std::string hex = HexId(next.id);
//
// Plain values; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace guts::sim {

using BlockId = std::array<uint8_t, 32>;

struct BlockHeader {
  uint64_t height = 0;
  uint64_t view = 0;
  BlockId id{};
  BlockId parent{};
  uint32_t producer = 0;  // Index of the proposing validator (0-based).
  int64_t timestamp_ms = 0;
  uint32_t tx_count = 0;
  uint32_t signature_count = 0;
};

// Height 0, shared by every node of a network.
BlockHeader GenesisBlock();

// The child of `parent` proposed in `view`: its id is sha256(parent id, height, view, salt).
// A non-empty `salt` yields a different id at the same height (used to model a fork).
BlockHeader NextBlock(const BlockHeader& parent, uint64_t view, uint32_t producer, absl::Time now,
                      absl::string_view salt);

// Lower-case hex of a block id (64 characters).
std::string HexId(const BlockId& id);

}  // namespace guts::sim
