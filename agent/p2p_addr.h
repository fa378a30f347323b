// A P2P address as the node and the validator list spell it: "ip:port" or "[ipv6]:port".
//
// Example:
//   absl::StatusOr<P2pAddr> addr = ParseP2pAddr("127.0.0.11:9000");  // {"127.0.0.11", 9000}
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace guts::agent {

struct P2pAddr {
  std::string ip;
  uint16_t port = 0;
};

// INVALID_ARGUMENT naming the text when it is not ip:port.
inline absl::StatusOr<P2pAddr> ParseP2pAddr(const std::string& text) {
  size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(text).substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not ip:port"));
  }
  std::string ip = text.substr(0, colon);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return P2pAddr{.ip = ip, .port = static_cast<uint16_t>(port)};
}

}  // namespace guts::agent
