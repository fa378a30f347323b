#include "sim/validator_set.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "sim/block.h"

namespace guts::sim {

ValidatorSet::ValidatorSet(std::vector<uint64_t> weights) : weights_(std::move(weights)) {
  for (uint64_t w : weights_) total_ += w;
  quorum_ = (2 * total_ + 2) / 3;  // ceil(2/3 x total) in integers.
}

std::string ValidatorSet::Name(size_t index) { return absl::StrCat("v", index + 1); }

std::string ValidatorSet::PublicKeyHex(size_t index) {
  std::string seed = absl::StrCat("guts-sim validator ", Name(index));
  BlockId key{};
  unsigned int len = 0;
  EVP_Digest(seed.data(), seed.size(), key.data(), &len, EVP_sha256(), nullptr);
  return HexId(key);
}

}  // namespace guts::sim
