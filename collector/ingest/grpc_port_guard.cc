#include "collector/ingest/grpc_port_guard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "common/sock_diag.h"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {

// The process's descriptors of the given socket inodes.
std::map<uint64_t, int> SocketDescriptors() {
  std::map<uint64_t, int> out;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  while (dirent* e = readdir(dir)) {
    char target[64] = {};
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n <= 0 || std::strncmp(target, "socket:[", 8) != 0) continue;
    uint64_t inode = 0;
    if (absl::SimpleAtoi(absl::string_view(target + 8, n - 9), &inode)) {
      out[inode] = std::atoi(e->d_name);
    }
  }
  closedir(dir);
  return out;
}

// The process's open-file limit, or 0 when it has none.
size_t DescriptorLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
  return rl.rlim_cur;
}

// The process's open descriptors (the entries of /proc/self/fd), or nullopt when they cannot be
// counted (in practice no descriptor to read the directory with).
std::optional<size_t> OpenDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  size_t open = 0;
  while (dirent* e = readdir(dir)) open += e->d_name[0] != '.' ? 1 : 0;
  closedir(dir);
  return open;
}

// Whether `open` descriptors are (nearly) all that the open-file `limit` allows.
bool NearDescriptorLimit(size_t open, size_t limit) {
  return limit != 0 && open + std::max<size_t>(16, limit / 32) >= limit;
}

// Whether the process holds (nearly) all the descriptors its open-file limit allows, judged
// only when `sockets` (the port's accepted connections) are a quarter of the limit or more: the
// count reads the whole descriptor table, which a healthy collector far below its limit never
// needs.
bool NearDescriptorLimit(size_t sockets) {
  const size_t limit = DescriptorLimit();
  if (limit == 0 || sockets < limit / 4) return false;
  std::optional<size_t> open = OpenDescriptors();
  if (!open.has_value()) return errno == EMFILE || errno == ENFILE;
  return NearDescriptorLimit(*open, limit);
}

// The address the port's accepted connections have as their local end, for the kernel to
// filter on: the bound host when it is one IP address. A wildcard ("", 0.0.0.0, ::) or a name
// gets "" (any address, both families): gRPC binds a wildcard dual-stack, so its connections
// may be IPv6 sockets with IPv4-mapped addresses.
std::string LocalAddressFilter(const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "::") return "";
  unsigned char address[16];
  if (inet_pton(AF_INET, host.c_str(), address) == 1 ||
      inet_pton(AF_INET6, host.c_str(), address) == 1) {
    return host;
  }
  return "";
}

std::string ProbeHost(const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "localhost") return "127.0.0.1";
  return host;
}

}  // namespace

GrpcPortGuard::GrpcPortGuard(GrpcPortGuardOptions options,
                             std::function<absl::Status()> restart_listener)
    : options_(std::move(options)), restart_listener_(std::move(restart_listener)) {}

GrpcPortGuard::~GrpcPortGuard() { Stop(); }

void GrpcPortGuard::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ingest:guard");
    Run();
  });
}

void GrpcPortGuard::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool GrpcPortGuard::Accepting() const {
  absl::MutexLock lock(&mu_);
  return not_accepting_since_ == absl::InfiniteFuture();
}

absl::Time GrpcPortGuard::NotAcceptingSince() const {
  absl::MutexLock lock(&mu_);
  return not_accepting_since_;
}

size_t GrpcPortGuard::Restarts() const {
  absl::MutexLock lock(&mu_);
  return restarts_;
}

size_t GrpcPortGuard::Listings() const {
  absl::MutexLock lock(&mu_);
  return listings_;
}

void GrpcPortGuard::Run() {
  int failed_probes = 0;
  // Whether the process ran out of descriptors since the port last accepted: the one cause
  // that kills gRPC's accept loop for good.
  bool descriptors_ran_out = false;
  // A restart that did not help is not repeated at once: 5 s, 10 s, ... up to 5 min between.
  absl::Duration backoff = absl::Seconds(5);
  absl::Time next_restart = absl::InfinitePast();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval)) return;
    }
    PortConnections c = Enforce();
    if (c.shut_down > 0) {
      spdlog::warn(
          "gRPC port {}: {} connection(s), closed {} beyond the limits ({} in total, {} "
          "per peer address)",
          options_.port, c.total, c.shut_down, options_.max_connections,
          options_.max_connections_per_peer);
    }
    ProbeResult probe = Probe();
    absl::MutexLock lock(&mu_);
    if (probe == ProbeResult::kAccepted) {
      if (not_accepting_since_ != absl::InfiniteFuture()) {
        spdlog::info("gRPC port {} accepts connections again", options_.port);
      }
      not_accepting_since_ = absl::InfiniteFuture();
      failed_probes = 0;
      descriptors_ran_out = false;
      backoff = absl::Seconds(5);
      continue;
    }
    const absl::Time now = absl::Now();
    if (not_accepting_since_ == absl::InfiniteFuture()) not_accepting_since_ = now;
    descriptors_ran_out =
        descriptors_ran_out || c.descriptors_short || probe == ProbeResult::kNoDescriptor;
    // Two misses in a row: the accept loop is gone (a miss alone may be a burst of connects),
    // if descriptors ran out; otherwise the server is busy or stalled until it has lasted.
    if (++failed_probes < 2 || stopping_ || now < next_restart) continue;
    const bool unexplained_too_long =
        now - not_accepting_since_ >= options_.restart_unexplained_after;
    if (!descriptors_ran_out && !unexplained_too_long) continue;
    failed_probes = 0;
    next_restart = now + backoff;
    backoff = std::min(backoff * 2, absl::Minutes(5));
    if (descriptors_ran_out) {
      spdlog::error(
          "gRPC port {} does not accept connections after the process ran out of descriptors; "
          "restarting the gRPC server",
          options_.port);
    } else {
      spdlog::error("gRPC port {} has not accepted connections for {}; restarting the gRPC server",
                    options_.port, absl::FormatDuration(now - not_accepting_since_));
    }
    ++restarts_;
    mu_.Unlock();
    absl::Status s = restart_listener_();
    mu_.Lock();
    if (!s.ok()) spdlog::error("restarting the gRPC server: {}", s.ToString());
  }
}

GrpcPortGuard::ProbeResult GrpcPortGuard::Probe() {
  std::string host = ProbeHost(options_.host);
  bool v6 = host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ProbeResult::kNoDescriptor;  // the server cannot accept either
  // Reset instead of FIN: no TIME_WAIT pile-up, and the server sees the probe go at once.
  linger lg{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(options_.port));
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(options_.port));
    inet_pton(AF_INET, host.c_str(), &a->sin_addr);
    len = sizeof(*a);
  }
  bool accepted = false;
  bool lookup_failed = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 || errno == EINPROGRESS) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    int err = 0;
    socklen_t err_len = sizeof(err);
    sockaddr_storage mine{};
    socklen_t mine_len = sizeof(mine);
    if (poll(&p, 1, 1000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 &&
        err == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &mine_len) == 0) {
      // The server side of our connection, looked up by its four-tuple (a hash lookup in the
      // kernel): accepted once a process holds it (an inode). Its remote end is the probe's own
      // address, which is not the server's: to 127.x.y.z the kernel connects from 127.0.0.1.
      char mine_ip[INET6_ADDRSTRLEN] = {};
      const void* mine_addr =
          v6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&mine)->sin6_addr)
             : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&mine)->sin_addr);
      inet_ntop(v6 ? AF_INET6 : AF_INET, mine_addr, mine_ip, sizeof(mine_ip));
      TcpSession server_side{
          .local_ip = host,
          .remote_ip = mine_ip,
          .local_port = static_cast<uint16_t>(options_.port),
          .remote_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&mine)->sin6_port
                                  : reinterpret_cast<sockaddr_in*>(&mine)->sin_port)};
      absl::Time deadline = absl::Now() + options_.accept_deadline;
      for (absl::Duration wait = absl::Milliseconds(5); !accepted && absl::Now() < deadline;
           wait = std::min(wait * 2, absl::Milliseconds(250))) {
        absl::SleepFor(wait);
        // UNAVAILABLE: the netlink socket failed, in practice no descriptor for it. Kept once
        // seen: a shortage that ends before the probe's last lookup still happened.
        absl::StatusOr<std::vector<TcpSession>> found = LookUpTcpSessions({server_side});
        lookup_failed = lookup_failed || absl::IsUnavailable(found.status());
        accepted = found.ok() && !found->empty() && (*found)[0].inode != 0;
      }
    }
  }
  close(fd);
  if (accepted) return ProbeResult::kAccepted;
  return lookup_failed ? ProbeResult::kNoDescriptor : ProbeResult::kNotAccepted;
}

PortConnections GrpcPortGuard::Enforce() {
  PortConnections c;
  // Every accepted connection holds one of the process's descriptors: while the process holds
  // no more than the smaller limit, no limit can be exceeded, and while it is far from its
  // open-file limit there is no shortage to note. Then the listing below, a walk of the
  // kernel's whole TCP hash table (262 144 buckets on an ordinary host, about a millisecond of
  // CPU each second, 3 % of the collector at 1 000 agents), is not needed; counting the
  // descriptors reads only their names.
  if (std::optional<size_t> open = OpenDescriptors();
      open.has_value() &&
      *open <= std::min(options_.max_connections, options_.max_connections_per_peer) &&
      !NearDescriptorLimit(*open, DescriptorLimit())) {
    return c;
  }
  {
    absl::MutexLock lock(&mu_);
    ++listings_;
  }
  // The port's connections as the kernel lists them, filtered on the port (and the bound
  // address) in the kernel (sock_diag): reading /proc/net/tcp cost the whole table's text
  // every second, tens of ms of CPU on a host with many sockets. Established ones only (one
  // already shut down leaves that state at once), without tcp_info, which the kernel would
  // lock each socket to read.
  absl::StatusOr<std::vector<TcpSession>> listed =
      ListTcpSessions({.local_ip = LocalAddressFilter(options_.host),
                       .local_ports = {static_cast<uint16_t>(options_.port)},
                       .established_only = true,
                       .tcp_info = false});
  if (!listed.ok()) {  // in practice no descriptor for the netlink socket: next interval
    c.descriptors_short = absl::IsUnavailable(listed.status());
    return c;
  }
  std::vector<TcpSession>& sides = *listed;
  // Accepted connections only: those in the accept queue hold no descriptor yet.
  std::erase_if(sides, [](const TcpSession& s) { return s.inode == 0; });
  c.total = sides.size();
  // Noted here as well as by the probe: gRPC's accept loop dies of a shortage (EMFILE) that may
  // be over by the time the probe runs (the connections beyond the limits shut down below, or
  // a flood's handshakes timing out), and without that evidence the guard would wait
  // `restart_unexplained_after` to restart a listener that is gone for good.
  c.descriptors_short = NearDescriptorLimit(sides.size());
  if (sides.size() <= std::min(options_.max_connections, options_.max_connections_per_peer)) {
    return c;
  }
  // Oldest first, by inode: roughly the order sockets were made (the kernel hands inode numbers
  // out in per-CPU batches, so not exactly); the newest beyond a peer's share or the total go.
  std::sort(sides.begin(), sides.end(),
            [](const TcpSession& a, const TcpSession& b) { return a.inode < b.inode; });
  std::map<std::string, size_t> per_peer;
  std::vector<uint64_t> excess;
  size_t kept = 0;
  for (const TcpSession& s : sides) {
    size_t& n = per_peer[s.remote_ip];
    if (n >= options_.max_connections_per_peer || kept >= options_.max_connections) {
      excess.push_back(s.inode);
      continue;
    }
    ++n;
    ++kept;
  }
  if (excess.empty()) return c;
  std::map<uint64_t, int> fds = SocketDescriptors();
  for (uint64_t inode : excess) {
    auto it = fds.find(inode);
    if (it == fds.end()) continue;
    shutdown(it->second, SHUT_RDWR);
    ++c.shut_down;
  }
  return c;
}

}  // namespace guts::collector
