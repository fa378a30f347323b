#include "common/host_port.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace guts {
namespace {

absl::Status Invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", text.substr(0, 256), "' is not host:port: ", why));
}

// An IPv6 address as inet_pton reads it, with an optional zone ("%eth0") after it.
bool IsIpv6(absl::string_view host) {
  const size_t percent = host.find('%');
  if (percent != absl::string_view::npos && percent + 1 == host.size()) return false;  // no zone
  const std::string address(host.substr(0, percent));
  in6_addr out;
  return inet_pton(AF_INET6, address.c_str(), &out) == 1;
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return Invalid(text, "no ':port'");
  absl::string_view host = text.substr(0, colon);
  const absl::string_view port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5) {
    return Invalid(text, "the port must be a number from 0 to 65535");
  }
  uint32_t port = 0;
  for (char c : port_text) {
    if (!absl::ascii_isdigit(c)) return Invalid(text, "the port must be a number from 0 to 65535");
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) return Invalid(text, "the port must be a number from 0 to 65535");
  if (host.empty()) return Invalid(text, "no host before ':'");
  if (host.front() == '[') {
    if (host.back() != ']') return Invalid(text, "'[' without a closing ']'");
    host = host.substr(1, host.size() - 2);
    if (!IsIpv6(host)) return Invalid(text, "the host in brackets is not an IPv6 address");
  } else if (host.find_first_of(":[]") != absl::string_view::npos) {
    return Invalid(text, "an IPv6 host goes in brackets, as in [::1]:7400");
  }
  return HostPort{.host = std::string(host), .port = static_cast<uint16_t>(port)};
}

std::string FormatHostPort(absl::string_view host, uint16_t port) {
  if (host.find(':') != absl::string_view::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

std::string_view HostOf(std::string_view addr) {
  if (!addr.empty() && addr.front() == '[') {
    const size_t close = addr.find(']');
    return close == std::string_view::npos ? addr : addr.substr(1, close - 1);
  }
  const size_t colon = addr.rfind(':');
  // More than one ':' without brackets: a bare IPv6 address, no port to take off.
  if (colon == std::string_view::npos || addr.find(':') != colon) return addr;
  return addr.substr(0, colon);
}

}  // namespace guts
