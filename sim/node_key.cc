#include "sim/node_key.h"

#include <openssl/evp.h>

#include <array>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sim/validator_set.h"

namespace guts::sim {

NodeKey NodeKeyOf(size_t index) {
  std::string label = absl::StrCat("guts-sim node key ", ValidatorSet::Name(index));
  std::array<unsigned char, 32> seed{};
  unsigned int seed_len = 0;
  EVP_Digest(label.data(), label.size(), seed.data(), &seed_len, EVP_sha256(), nullptr);
  NodeKey key;
  key.private_hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
      &EVP_PKEY_free);
  std::array<unsigned char, 32> pub{};
  size_t pub_len = pub.size();
  // Cannot fail for a 32-byte seed; an all-zero key would show in every test if it did.
  if (pkey) EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &pub_len);
  key.public_hex =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(pub.data()), pub_len));
  return key;
}

}  // namespace guts::sim
