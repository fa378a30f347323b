// HostPort: the one reading and writing of "host:port" addresses (listen flags, collector
// lists, P2P addresses, peer addresses in snapshots).
//
// Accepted: "10.0.0.1:9000", "node-1.example:7400", "[::1]:7400", "[fe80::1%eth0]:9000". An
// IPv6 host is written in brackets and is held without them; a host with a ':' outside
// brackets is refused, since its port cannot be told apart. The port is 0 to 65535 in decimal
// digits (callers that need a fixed port check for 0).
//
// Example:
//   absl::StatusOr<HostPort> addr = ParseHostPort("[::1]:7400");  // {"::1", 7400}
//   std::string text = FormatHostPort(addr->host, addr->port);    // "[::1]:7400"
//   std::string_view ip = HostOf("[::1]:7400");                   // "::1"
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace guts {

struct HostPort {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 0;

  bool operator==(const HostPort&) const = default;
};

// `text` split into host and port. INVALID_ARGUMENT naming `text` and what is wrong with it
// (no port, a port that is not a number up to 65535, an empty host, an unbracketed IPv6
// address, a bracketed host that is not an IPv6 address).
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

// "host:port", with the host in brackets when it holds a ':' (IPv6).
std::string FormatHostPort(absl::string_view host, uint16_t port);

// The host part of an address as peers are reported ("ip:port", "[v6]:port"), without
// brackets; `addr` itself when it has no port (a bare IPv4 or IPv6 address). Never fails:
// used on every peer of every snapshot, it allocates nothing. (std::string_view, as the
// analysis' address book.)
std::string_view HostOf(std::string_view addr);

}  // namespace guts
