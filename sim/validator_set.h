// The validator set every simulated node shares: names v1..vN, weights, the quorum weight and
// the round-robin leader of a view. Simulation mode: weighted, quorum = ceil(2/3 x total).
// Simplex mode: one vote per participant, quorum = n - floor((n-1)/3) (GUTS_NODE.md).
//
// Example:
//   ValidatorSet set({100, 100, 100, 100});
//   set.quorum_weight();  // 267
//   set.LeaderOf(5);      // 1 (v2)
//
// Immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace guts::sim {

enum class QuorumRule { kTwoThirdsOfWeight, kSimplexParticipants };

class ValidatorSet {
 public:
  // REQUIRES: weights is not empty and every weight > 0. kSimplexParticipants ignores the
  // weights' values: every participant has one vote.
  explicit ValidatorSet(std::vector<uint64_t> weights,
                        QuorumRule rule = QuorumRule::kTwoThirdsOfWeight);

  size_t size() const { return weights_.size(); }
  uint64_t weight(size_t i) const { return weights_[i]; }
  uint64_t total_weight() const { return total_; }
  uint64_t quorum_weight() const { return quorum_; }
  uint32_t LeaderOf(uint64_t view) const { return static_cast<uint32_t>(view % size()); }

  // "v1" for index 0.
  static std::string Name(size_t index);
  // The ed25519 public key (hex) of the validator at `index` (see node_key.h).
  static std::string PublicKeyHex(size_t index);

 private:
  std::vector<uint64_t> weights_;
  uint64_t total_ = 0;
  uint64_t quorum_ = 0;
};

}  // namespace guts::sim
