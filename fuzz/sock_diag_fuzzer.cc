// Fuzzes the p2p_sockets source's netlink sock_diag reply parsing (nlmsghdr, inet_diag_msg,
// rtattr INET_DIAG_INFO with tcp_info) and its matching of sessions to the node's peers.
// The target is linked with -Wl,--wrap=socket,--wrap=sendto,--wrap=recv: the agent's netlink
// calls land here, and each recv returns the next datagram of the input.
// Input: datagrams, each a 2-byte little-endian length followed by that many bytes. When the
// input runs out, recv answers NLMSG_DONE as the kernel ends a dump.
// Each datagram is also parsed from a heap block of exactly its size, where AddressSanitizer
// sees any read past a length (recv's copy lands in the agent's 32 KiB stack buffer, where an
// over-read stays inside the buffer, unseen).
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/time/clock.h"
#include "agent/known_validators.h"
#include "common/sock_diag.h"
#include "agent/sources/p2p_sockets_source.h"

namespace {

std::string_view input;

}  // namespace

extern "C" {

int __wrap_socket(int, int, int) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

ssize_t __wrap_sendto(int, const void*, size_t length, int, const sockaddr*, socklen_t) {
  return static_cast<ssize_t>(length);
}

ssize_t __wrap_recv(int, void* buffer, size_t length, int) {
  if (input.size() < 2) {
    nlmsghdr done{};
    done.nlmsg_len = NLMSG_LENGTH(sizeof(int));
    done.nlmsg_type = NLMSG_DONE;
    size_t n = std::min(length, static_cast<size_t>(done.nlmsg_len));
    std::memset(buffer, 0, n);
    std::memcpy(buffer, &done, std::min(n, sizeof(done)));
    return static_cast<ssize_t>(n);
  }
  size_t size = static_cast<uint8_t>(input[0]) | (static_cast<uint8_t>(input[1]) << 8);
  input.remove_prefix(2);
  size = std::min({size, input.size(), length});
  std::memcpy(buffer, input.data(), size);
  input.remove_prefix(size);
  return static_cast<ssize_t>(size);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<guts::TcpSession> sessions;
  for (std::string_view rest(reinterpret_cast<const char*>(data), size); rest.size() >= 2;) {
    size_t length = static_cast<uint8_t>(rest[0]) | (static_cast<uint8_t>(rest[1]) << 8);
    rest.remove_prefix(2);
    length = std::min(length, rest.size());
    auto datagram = std::make_unique<char[]>(length);
    std::memcpy(datagram.get(), rest.data(), length);
    rest.remove_prefix(length);
    (void)guts::ParseSockDiagReply(absl::string_view(datagram.get(), length), sessions);
  }

  input = std::string_view(reinterpret_cast<const char*>(data), size);
  (void)guts::ListTcpSessions();

  input = std::string_view(reinterpret_cast<const char*>(data), size);
  auto validators = std::make_shared<guts::agent::KnownValidators>();
  validators->Set({{"v2", "127.0.0.12:9000"}, {"v3", "[::1]:9000"}});
  guts::agent::P2pSocketsSource source("127.0.0.11:9000", validators);
  guts::diag::v1::Snapshot part;
  (void)source.Collect(absl::Now() + absl::Seconds(1), part);
  (void)part.ByteSizeLong();
  return 0;
}

}  // extern "C"
