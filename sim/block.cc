#include "sim/block.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"

namespace guts::sim {

BlockHeader GenesisBlock() { return BlockHeader{}; }

BlockHeader NextBlock(const BlockHeader& parent, uint64_t view, uint32_t producer, absl::Time now,
                      absl::string_view salt) {
  BlockHeader b;
  b.height = parent.height + 1;
  b.view = view;
  b.parent = parent.id;
  b.producer = producer;
  b.timestamp_ms = absl::ToUnixMillis(now);
  // A few transactions per block so that tx_count moves like a lightly used network.
  b.tx_count = static_cast<uint32_t>((b.height * 7 + view) % 5);
  std::string input(reinterpret_cast<const char*>(parent.id.data()), parent.id.size());
  absl::StrAppend(&input, "|", b.height, "|", view, "|", salt);
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), b.id.data(), &len, EVP_sha256(), nullptr);
  return b;
}

std::string HexId(const BlockId& id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t byte : id) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

}  // namespace guts::sim
