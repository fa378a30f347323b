// The host's open TCP sessions as the kernel sees them, through netlink NETLINK_SOCK_DIAG
// (inet_diag) with INET_DIAG_INFO, i.e. each session's struct tcp_info (unless the filter says
// not to). Only sessions that can carry data are listed (ESTABLISHED, SYN_SENT, SYN_RECV,
// CLOSE_WAIT), or only established ones: listening and closing sockets are left out. The port
// filter runs in the kernel (inet_diag bytecode), so a host with tens of thousands of sockets
// costs the caller only the few it asked for.
// Needs no privilege for sockets of any user in the caller's network namespace. The agent reads
// its node's P2P sessions through it, the collector its gRPC port's connections.
//
// Example:
//   absl::StatusOr<std::vector<TcpSession>> sessions = ListTcpSessions(
//       {.local_ip = "10.0.0.5", .local_ports = {9000}, .remote_ports = {9000}});
//
// Errors: the netlink socket's errno (UNAVAILABLE), DATA_LOSS for a malformed reply,
// INVALID_ARGUMENT for a filter local_ip that is not an IP address.
// Thread-safe (one netlink socket per call).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace guts {

struct TcpSession {
  std::string local_ip, remote_ip;  // textual, e.g. "127.0.0.11" or "::1"
  uint16_t local_port = 0, remote_port = 0;
  std::string state;  // "ESTABLISHED", "SYN_SENT", ...
  uint32_t last_data_recv_ms = 0;
  uint32_t last_data_sent_ms = 0;
  uint32_t rtt_us = 0;
  uint32_t total_retrans = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_acked = 0;
  uint32_t send_queue_bytes = 0;
  bool has_info = false;  // tcp_info was present
  // The socket's inode: 0 while the session waits in a listener's accept queue (no process
  // holds it yet).
  uint64_t inode = 0;
};

// Sessions whose local address is `local_ip` (when set) and whose local port is one of
// `local_ports` or remote port one of `remote_ports` (when either is set).
struct TcpSessionFilter {
  // "" = any; else an IPv4 or IPv6 address, and only sockets of that family are listed.
  std::string local_ip;
  std::vector<uint16_t> local_ports;
  std::vector<uint16_t> remote_ports;
  // Only ESTABLISHED sessions (the kernel skips the others before running the filter).
  bool established_only = false;
  // With each session's tcp_info (has_info and the figures from it). The kernel locks each
  // socket to read it: a caller that needs only the ends, the state and the inode says false.
  bool tcp_info = true;
};

// Open TCP sessions matching `filter`, IPv4 and IPv6.
absl::StatusOr<std::vector<TcpSession>> ListTcpSessions(const TcpSessionFilter& filter = {});

// The sessions of `known` (as ListTcpSessions returned them) that are still open, with fresh
// tcp_info: each is looked up by its four-tuple, a hash lookup in the kernel, where a listing
// walks the kernel's whole established-socket table (262 144 buckets on an ordinary host, about
// a millisecond of CPU each time). A session that closed is left out; a new one is not found
// (only ListTcpSessions finds those). At most kMaxTcpSessionLookups sessions.
// Errors: INVALID_ARGUMENT for more sessions than that or an address that is not an IP,
// UNAVAILABLE for the netlink socket's errno or an answer missing, DATA_LOSS for a malformed one.
inline constexpr size_t kMaxTcpSessionLookups = 64;
absl::StatusOr<std::vector<TcpSession>> LookUpTcpSessions(const std::vector<TcpSession>& known);

// Parses one datagram of a sock_diag dump reply as received from the kernel, appending the
// sessions it carries to `out`. True when the datagram ends the dump (NLMSG_DONE). Every length
// in the datagram is checked before the bytes it covers are read: DATA_LOSS names a message, an
// NLMSG_ERROR or an attribute that claims more bytes than it has; UNAVAILABLE carries the
// kernel's error. Messages of other types (NLMSG_NOOP) are skipped. The bytes need no alignment.
// ListTcpSessions feeds it every datagram; public so that tests and the fuzzer can too.
absl::StatusOr<bool> ParseSockDiagReply(absl::string_view datagram, std::vector<TcpSession>& out);

}  // namespace guts
