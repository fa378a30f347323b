#include "sim/validator_set.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "sim/node_key.h"

namespace guts::sim {

ValidatorSet::ValidatorSet(std::vector<uint64_t> weights, QuorumRule rule)
    : weights_(std::move(weights)) {
  if (rule == QuorumRule::kSimplexParticipants) {
    std::fill(weights_.begin(), weights_.end(), 1);
    const uint64_t n = weights_.size();
    total_ = n;
    quorum_ = n == 0 ? 0 : n - (n - 1) / 3;
    return;
  }
  for (uint64_t w : weights_) total_ += w;
  quorum_ = (2 * total_ + 2) / 3;  // ceil(2/3 x total) in integers.
}

std::string ValidatorSet::Name(size_t index) { return absl::StrCat("v", index + 1); }

std::string ValidatorSet::PublicKeyHex(size_t index) {
  // Deriving a key costs tens of microseconds; the API lists every key on each request.
  static absl::Mutex mu(absl::kConstInit);
  static auto* cache = new std::map<size_t, std::string>();
  absl::MutexLock lock(&mu);
  auto [it, added] = cache->try_emplace(index);
  if (added) it->second = NodeKeyOf(index).public_hex;
  return it->second;
}

}  // namespace guts::sim
