#include "common/sock_diag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace guts {
namespace {

// Kernel TCP states (include/net/tcp_states.h), indexed by state number.
constexpr const char* kStates[] = {
    "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
    "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
constexpr uint32_t kEstablished = 1u << 1;
constexpr uint32_t kOpenStates = kEstablished | (1u << 2) | (1u << 3) | (1u << 8);

// inet_diag bytecode for a filter. The kernel audits that every op is reachable along the
// chain of `yes` jumps, and accepts a socket when the program ends exactly at its end (a jump
// past the end rejects). The layout is
//   [A] C1 J1 C2 J2 ... Cn
// A (optional) matches the local address and on a miss jumps past the end. A port condition
// Ci (two ops: the comparison, then the port in the second op's `no`) falls through on a match
// (`yes` = 8) into Ji, a jump to exactly the end (accept), and on a miss skips to the next
// condition (`no` = 12); a miss of Cn jumps past the end.
absl::StatusOr<std::string> FilterProgram(const TcpSessionFilter& filter) {
  std::string ports;
  std::vector<std::pair<uint8_t, uint16_t>> conditions;
  for (uint16_t port : filter.local_ports) conditions.emplace_back(INET_DIAG_BC_S_EQ, port);
  for (uint16_t port : filter.remote_ports) conditions.emplace_back(INET_DIAG_BC_D_EQ, port);
  constexpr size_t kCondition = 2 * sizeof(inet_diag_bc_op);
  constexpr size_t kJump = sizeof(inet_diag_bc_op);
  const size_t ports_length =
      conditions.empty() ? 0 : conditions.size() * kCondition + (conditions.size() - 1) * kJump;
  for (size_t i = 0; i < conditions.size(); ++i) {
    inet_diag_bc_op condition[2] = {};
    condition[0].code = conditions[i].first;
    condition[0].yes = kCondition;
    condition[0].no = kCondition + kJump;
    condition[1].no = conditions[i].second;
    ports.append(reinterpret_cast<const char*>(condition), sizeof(condition));
    if (i + 1 == conditions.size()) break;
    inet_diag_bc_op jump{};
    jump.code = INET_DIAG_BC_JMP;
    jump.yes = kJump;
    jump.no = static_cast<uint16_t>(ports_length - ports.size());
    ports.append(reinterpret_cast<const char*>(&jump), sizeof(jump));
  }
  if (filter.local_ip.empty()) return ports;

  inet_diag_hostcond host{};
  unsigned char address[16] = {};
  size_t address_length = 4;
  if (inet_pton(AF_INET, filter.local_ip.c_str(), address) == 1) {
    host.family = AF_INET;
    host.prefix_len = 32;
  } else if (inet_pton(AF_INET6, filter.local_ip.c_str(), address) == 1) {
    host.family = AF_INET6;
    host.prefix_len = 128;
    address_length = 16;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("sock_diag filter: '", filter.local_ip, "' is not an IP address"));
  }
  host.port = -1;
  const size_t address_cond = sizeof(inet_diag_bc_op) + sizeof(host) + address_length;
  inet_diag_bc_op op{};
  op.code = INET_DIAG_BC_S_COND;
  op.yes = static_cast<uint8_t>(address_cond);
  op.no = static_cast<uint16_t>(address_cond + ports.size() + 4);
  std::string program(reinterpret_cast<const char*>(&op), sizeof(op));
  program.append(reinterpret_cast<const char*>(&host), sizeof(host));
  program.append(reinterpret_cast<const char*>(address), address_length);
  return program + ports;
}

bool IsOpenState(const std::string& state) {
  for (size_t i = 0; i < std::size(kStates); ++i) {
    if (state == kStates[i]) return (kOpenStates >> i) & 1;
  }
  return false;
}

// Textual address; an IPv4 peer of a dual-stack socket ("::ffff:10.0.0.5") reads as IPv4, so
// that it matches the addresses the node and the validator list use.
std::string IpText(int family, const __be32* words) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, words, text, sizeof(text));
  absl::string_view view = text;
  if (family == AF_INET6 && absl::ConsumePrefix(&view, "::ffff:") &&
      view.find('.') != absl::string_view::npos) {
    return std::string(view);
  }
  return text;
}

absl::Status Dump(int fd, int family, const TcpSessionFilter& filter, const std::string& program,
                  std::vector<TcpSession>& out) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = static_cast<uint8_t>(family);
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = filter.established_only ? kEstablished : kOpenStates;
  message.request.idiag_ext = filter.tcp_info ? 1 << (INET_DIAG_INFO - 1) : 0;
  std::string packet(reinterpret_cast<const char*>(&message), sizeof(message));
  if (!program.empty()) {
    rtattr attr{};
    attr.rta_type = INET_DIAG_REQ_BYTECODE;
    attr.rta_len = static_cast<uint16_t>(RTA_LENGTH(program.size()));
    packet.append(reinterpret_cast<const char*>(&attr), sizeof(attr));
    packet.append(program);
    packet.resize(NLMSG_ALIGN(packet.size()), '\0');
  }
  reinterpret_cast<nlmsghdr*>(packet.data())->nlmsg_len = static_cast<uint32_t>(packet.size());
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0) {
    return absl::UnavailableError(absl::StrCat("sock_diag send: ", std::strerror(errno)));
  }
  // A dump datagram is at most 32 KiB (the kernel sizes dump skbs to the reader's buffer,
  // capped there), so no message is ever cut short by this buffer.
  char buffer[32 << 10];
  while (true) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("sock_diag recv: ", std::strerror(errno)));
    }
    absl::StatusOr<bool> done =
        ParseSockDiagReply(absl::string_view(buffer, static_cast<size_t>(n)), out);
    if (!done.ok()) return done.status();
    if (*done) return absl::OkStatus();
  }
}

// One SOCK_DIAG_BY_FAMILY message's payload: an inet_diag_msg, then attributes.
absl::Status ParseSession(absl::string_view payload, std::vector<TcpSession>& out) {
  inet_diag_msg diag;
  if (payload.size() < sizeof(diag)) {
    return absl::DataLossError(absl::StrCat("sock_diag: inet_diag_msg of ", payload.size(),
                                            " bytes, shorter than its ", sizeof(diag)));
  }
  std::memcpy(&diag, payload.data(), sizeof(diag));
  TcpSession session;
  session.local_ip = IpText(diag.idiag_family, diag.id.idiag_src);
  session.remote_ip = IpText(diag.idiag_family, diag.id.idiag_dst);
  session.local_port = ntohs(diag.id.idiag_sport);
  session.remote_port = ntohs(diag.id.idiag_dport);
  session.state = diag.idiag_state < std::size(kStates) ? kStates[diag.idiag_state] : "UNKNOWN";
  session.send_queue_bytes = diag.idiag_wqueue;
  session.inode = diag.idiag_inode;
  payload.remove_prefix(std::min(payload.size(), static_cast<size_t>(NLMSG_ALIGN(sizeof(diag)))));
  while (!payload.empty()) {
    rtattr attr;
    if (payload.size() < sizeof(attr)) {
      return absl::DataLossError(
          absl::StrCat("sock_diag: ", payload.size(), " trailing bytes after the attributes"));
    }
    std::memcpy(&attr, payload.data(), sizeof(attr));
    if (attr.rta_len < sizeof(attr) || attr.rta_len > payload.size()) {
      return absl::DataLossError(absl::StrCat("sock_diag: attribute of type ", attr.rta_type,
                                              " claims ", attr.rta_len, " bytes, ", payload.size(),
                                              " left"));
    }
    if (attr.rta_type == INET_DIAG_INFO) {
      // Older kernels send a shorter tcp_info: copy what is there, the rest stays zero.
      tcp_info info{};
      const size_t info_bytes = attr.rta_len - RTA_LENGTH(0);
      std::memcpy(&info, payload.data() + RTA_LENGTH(0), std::min(info_bytes, sizeof(info)));
      session.has_info = true;
      session.last_data_recv_ms = info.tcpi_last_data_recv;
      session.last_data_sent_ms = info.tcpi_last_data_sent;
      session.rtt_us = info.tcpi_rtt;
      session.total_retrans = info.tcpi_total_retrans;
      session.bytes_received = info.tcpi_bytes_received;
      session.bytes_acked = info.tcpi_bytes_acked;
    }
    payload.remove_prefix(std::min(payload.size(), static_cast<size_t>(RTA_ALIGN(attr.rta_len))));
  }
  out.push_back(std::move(session));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> ParseSockDiagReply(absl::string_view datagram, std::vector<TcpSession>& out) {
  while (!datagram.empty()) {
    nlmsghdr header;
    if (datagram.size() < sizeof(header)) {
      return absl::DataLossError(absl::StrCat("sock_diag: ", datagram.size(),
                                              " trailing bytes, shorter than a message header"));
    }
    std::memcpy(&header, datagram.data(), sizeof(header));
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > datagram.size()) {
      return absl::DataLossError(absl::StrCat("sock_diag: message of type ", header.nlmsg_type,
                                              " claims ", header.nlmsg_len, " bytes, ",
                                              datagram.size(), " left in the datagram"));
    }
    absl::string_view payload = datagram.substr(NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
    if (header.nlmsg_type == NLMSG_DONE) return true;
    if (header.nlmsg_type == NLMSG_ERROR) {
      nlmsgerr error;
      if (payload.size() < sizeof(error)) {
        return absl::DataLossError(absl::StrCat("sock_diag: NLMSG_ERROR of ", payload.size(),
                                                " bytes, shorter than its ", sizeof(error)));
      }
      std::memcpy(&error, payload.data(), sizeof(error));
      // A negative errno; widened first, since negating INT_MIN overflows an int.
      const int64_t code = -static_cast<int64_t>(error.error);
      return absl::UnavailableError(absl::StrCat(
          "sock_diag: ",
          code > 0 && code <= INT32_MAX ? std::strerror(static_cast<int>(code)) : "error", " (",
          error.error, ")"));
    }
    if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      if (absl::Status s = ParseSession(payload, out); !s.ok()) return s;
    }
    datagram.remove_prefix(
        std::min(datagram.size(), static_cast<size_t>(NLMSG_ALIGN(header.nlmsg_len))));
  }
  return false;
}

absl::StatusOr<std::vector<TcpSession>> LookUpTcpSessions(const std::vector<TcpSession>& known) {
  if (known.size() > kMaxTcpSessionLookups) {
    return absl::InvalidArgumentError(absl::StrCat("sock_diag lookup of ", known.size(),
                                                   " sessions, more than ", kMaxTcpSessionLookups));
  }
  std::vector<TcpSession> out;
  if (known.empty()) return out;
  // One request per session, all in one datagram: the kernel answers each in turn (a
  // SOCK_DIAG_BY_FAMILY message, or NLMSG_ERROR when there is no such socket), numbered by
  // nlmsg_seq = index + 1, before sendto returns.
  struct Request {
    nlmsghdr header;
    inet_diag_req_v2 request;
  };
  std::vector<Request> requests(known.size());
  for (size_t i = 0; i < known.size(); ++i) {
    const TcpSession& s = known[i];
    Request& r = requests[i];
    r.header.nlmsg_len = sizeof(Request);
    r.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    r.header.nlmsg_flags = NLM_F_REQUEST;
    r.header.nlmsg_seq = static_cast<uint32_t>(i + 1);
    r.request.sdiag_protocol = IPPROTO_TCP;
    r.request.idiag_ext = 1 << (INET_DIAG_INFO - 1);
    r.request.idiag_states = kOpenStates;
    r.request.id.idiag_sport = htons(s.local_port);
    r.request.id.idiag_dport = htons(s.remote_port);
    r.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    r.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    bool v4 = inet_pton(AF_INET, s.local_ip.c_str(), r.request.id.idiag_src) == 1 &&
              inet_pton(AF_INET, s.remote_ip.c_str(), r.request.id.idiag_dst) == 1;
    bool v6 = !v4 && inet_pton(AF_INET6, s.local_ip.c_str(), r.request.id.idiag_src) == 1 &&
              inet_pton(AF_INET6, s.remote_ip.c_str(), r.request.id.idiag_dst) == 1;
    if (!v4 && !v6) {
      return absl::InvalidArgumentError(absl::StrCat("sock_diag lookup: ", s.local_ip, " -> ",
                                                     s.remote_ip, " is not an IP address pair"));
    }
    r.request.sdiag_family = v4 ? AF_INET : AF_INET6;
  }
  static_assert(sizeof(Request) % NLMSG_ALIGNTO == 0);

  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("netlink sock_diag socket: ", std::strerror(errno)));
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, requests.data(), requests.size() * sizeof(Request), 0,
             reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("sock_diag lookup send: ", std::strerror(err)));
  }
  std::vector<bool> answered(known.size(), false);
  size_t answers = 0;
  absl::Status status = absl::OkStatus();
  char buffer[8 << 10];
  while (answers < known.size() && status.ok()) {
    // Every answer is queued by now; one missing (a receive queue overflow) is an error, not
    // something to wait for.
    ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      status = absl::UnavailableError(absl::StrCat("sock_diag lookup recv: ", std::strerror(errno),
                                                   " after ", answers, " of ", known.size(),
                                                   " answers"));
      break;
    }
    absl::string_view datagram(buffer, static_cast<size_t>(n));
    while (!datagram.empty()) {
      nlmsghdr header;
      if (datagram.size() < sizeof(header)) {
        status = absl::DataLossError("sock_diag lookup: truncated message header");
        break;
      }
      std::memcpy(&header, datagram.data(), sizeof(header));
      if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > datagram.size()) {
        status =
            absl::DataLossError(absl::StrCat("sock_diag lookup: message claims ", header.nlmsg_len,
                                             " bytes, ", datagram.size(), " left"));
        break;
      }
      absl::string_view payload = datagram.substr(NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
      datagram.remove_prefix(
          std::min(datagram.size(), static_cast<size_t>(NLMSG_ALIGN(header.nlmsg_len))));
      if (header.nlmsg_seq == 0 || header.nlmsg_seq > known.size() ||
          answered[header.nlmsg_seq - 1]) {
        continue;
      }
      if (header.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr error;
        if (payload.size() < sizeof(error)) {
          status = absl::DataLossError("sock_diag lookup: short NLMSG_ERROR");
          break;
        }
        std::memcpy(&error, payload.data(), sizeof(error));
        // ENOENT: no such socket any more. Anything else is the kernel refusing the request.
        if (error.error != -ENOENT) {
          status =
              absl::UnavailableError(absl::StrCat("sock_diag lookup: kernel error ", error.error));
          break;
        }
      } else if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
        std::vector<TcpSession> found;
        if (absl::Status s = ParseSession(payload, found); !s.ok()) {
          status = s;
          break;
        }
        // The lookup falls back to a listening socket, and finds closing ones: only an open
        // session with the very same ends is the one asked for.
        const TcpSession& want = known[header.nlmsg_seq - 1];
        if (!found.empty() && found[0].remote_port == want.remote_port &&
            found[0].local_port == want.local_port && found[0].remote_ip == want.remote_ip &&
            found[0].local_ip == want.local_ip && IsOpenState(found[0].state)) {
          out.push_back(std::move(found[0]));
        }
      } else {
        continue;
      }
      answered[header.nlmsg_seq - 1] = true;
      ++answers;
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<TcpSession>> ListTcpSessions(const TcpSessionFilter& filter) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("netlink sock_diag socket: ", std::strerror(errno)));
  }
  std::vector<TcpSession> sessions;
  absl::StatusOr<std::string> program = FilterProgram(filter);
  if (!program.ok()) {
    close(fd);
    return program.status();
  }
  // Each dump walks the kernel's whole established-socket hash, which costs on a busy host:
  // with a local address only that address's family is dumped. (A node bound to an explicit
  // IPv4 address has AF_INET sockets only; a dual-stack node is given as "::" or 0.0.0.0.)
  absl::Status status = absl::OkStatus();
  bool v6_address = filter.local_ip.find(':') != std::string::npos;
  for (int family : {AF_INET, AF_INET6}) {
    if (!filter.local_ip.empty() && (family == AF_INET6) != v6_address) continue;
    status = Dump(fd, family, filter, *program, sessions);
    if (!status.ok()) break;
  }
  close(fd);
  if (!status.ok()) return status;
  return sessions;
}

}  // namespace guts
