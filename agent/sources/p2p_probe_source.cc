#include "agent/sources/p2p_probe_source.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/sources/registry.h"
#include "common/host_port.h"

namespace guts::agent {
namespace {

struct Probe {
  v1::ProbeResult* result;
  int fd = -1;
  absl::Time started;
};

// Starts a non-blocking connect; returns the fd, or -1 with `result` filled on failure.
int StartConnect(const HostPort& addr, v1::ProbeResult& result) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, addr.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(addr.port);
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, addr.host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(addr.port);
    length = sizeof(*v6);
  } else {
    result.set_error(absl::StrCat("'", addr.host, "' is not an IP address"));
    return -1;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    result.set_error(absl::StrCat("socket: ", std::strerror(errno)));
    return -1;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0 || errno == EINPROGRESS) {
    return fd;
  }
  result.set_error(std::strerror(errno));
  close(fd);
  return -1;
}

}  // namespace

P2pProbeSource::P2pProbeSource(std::string node_p2p_addr,
                               std::shared_ptr<KnownValidators> validators, absl::Duration timeout)
    : node_p2p_addr_(std::move(node_p2p_addr)),
      validators_(std::move(validators)),
      timeout_(timeout) {}

absl::Status P2pProbeSource::Collect(absl::Time deadline, v1::Snapshot& part) {
  absl::Time start = absl::Now();
  absl::Time give_up = std::min(deadline, start + timeout_);
  std::vector<Probe> pending;
  for (const KnownValidator& validator : validators_->ProbeTargets()) {
    if (validator.addr == node_p2p_addr_) continue;
    v1::ProbeResult* result = part.add_probes();
    result->set_addr(validator.addr);
    result->set_name(validator.name);
    absl::StatusOr<HostPort> addr = ParseHostPort(validator.addr);
    if (!addr.ok()) {
      result->set_error(std::string(addr.status().message()));
      continue;
    }
    int fd = StartConnect(*addr, *result);
    if (fd >= 0) pending.push_back(Probe{.result = result, .fd = fd, .started = absl::Now()});
  }
  while (!pending.empty()) {
    absl::Duration left = give_up - absl::Now();
    std::vector<pollfd> fds;
    for (const Probe& probe : pending) fds.push_back(pollfd{.fd = probe.fd, .events = POLLOUT});
    int ready = left > absl::ZeroDuration()
                    ? poll(fds.data(), fds.size(),
                           static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))))
                    : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      for (Probe& probe : pending) {
        probe.result->set_error(
            absl::StrCat("timeout after ", absl::FormatDuration(absl::Now() - probe.started)));
        close(probe.fd);
      }
      break;
    }
    std::vector<Probe> still;
    for (size_t i = 0; i < pending.size(); ++i) {
      Probe& probe = pending[i];
      if (fds[i].revents == 0) {
        still.push_back(probe);
        continue;
      }
      int error = 0;
      socklen_t length = sizeof(error);
      getsockopt(probe.fd, SOL_SOCKET, SO_ERROR, &error, &length);
      probe.result->set_connect_ms(
          static_cast<uint32_t>(absl::ToInt64Milliseconds(absl::Now() - probe.started)));
      if (error == 0) {
        probe.result->set_reachable(true);
      } else {
        probe.result->set_error(std::strerror(error));
      }
      close(probe.fd);
    }
    pending = std::move(still);
  }
  return absl::OkStatus();
}

GUTS_REGISTER_SOURCE(p2p_probe, 70, [](const SourceContext& context) -> std::unique_ptr<Source> {
  return std::make_unique<P2pProbeSource>(context.config.node_p2p_addr, context.validators);
});

}  // namespace guts::agent
