#include "collector/ingest/grpc_port_guard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {

// One row of /proc/net/tcp{,6} whose own end is the guarded port.
struct ServerSide {
  std::string peer_ip;  // hex, as the kernel prints it
  int peer_port = 0;
  int state = 0;
  uint64_t inode = 0;  // 0 while the connection waits in the accept queue
};

constexpr int kListen = 0x0A;

// Rows of both tables whose local port is `port`, listeners left out.
std::vector<ServerSide> ServerSides(int port) {
  std::vector<ServerSide> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() < 10) continue;
      size_t lc = f[1].rfind(':'), rc = f[2].rfind(':');
      if (lc == absl::string_view::npos || rc == absl::string_view::npos) continue;
      int local_port = 0, state = 0;
      if (!absl::SimpleHexAtoi(f[1].substr(lc + 1), &local_port) || local_port != port) continue;
      if (!absl::SimpleHexAtoi(f[3], &state) || state == kListen) continue;
      ServerSide s;
      s.peer_ip = std::string(f[2].substr(0, rc));
      s.state = state;
      if (!absl::SimpleHexAtoi(f[2].substr(rc + 1), &s.peer_port)) continue;
      if (!absl::SimpleAtoi(f[9], &s.inode)) continue;
      out.push_back(std::move(s));
    }
  }
  return out;
}

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
  thread_ = std::thread([this] { Run(); });
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

void GrpcPortGuard::Run() {
  int failed_probes = 0;
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
    bool accepted = Probe();
    absl::MutexLock lock(&mu_);
    if (accepted) {
      if (not_accepting_since_ != absl::InfiniteFuture()) {
        spdlog::info("gRPC port {} accepts connections again", options_.port);
      }
      not_accepting_since_ = absl::InfiniteFuture();
      failed_probes = 0;
      backoff = absl::Seconds(5);
      continue;
    }
    if (not_accepting_since_ == absl::InfiniteFuture()) not_accepting_since_ = absl::Now();
    // Two misses in a row: the accept loop is gone (a miss alone may be a burst of connects).
    if (++failed_probes < 2 || stopping_ || absl::Now() < next_restart) continue;
    failed_probes = 0;
    next_restart = absl::Now() + backoff;
    backoff = std::min(backoff * 2, absl::Minutes(5));
    spdlog::error(
        "gRPC port {} does not accept connections (descriptors exhausted?); "
        "restarting the gRPC server",
        options_.port);
    ++restarts_;
    mu_.Unlock();
    absl::Status s = restart_listener_();
    mu_.Lock();
    if (!s.ok()) spdlog::error("restarting the gRPC server: {}", s.ToString());
  }
}

bool GrpcPortGuard::Probe() {
  std::string host = ProbeHost(options_.host);
  bool v6 = host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;  // no descriptor left: the server cannot accept either
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
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 || errno == EINPROGRESS) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    int err = 0;
    socklen_t err_len = sizeof(err);
    sockaddr_storage mine{};
    socklen_t mine_len = sizeof(mine);
    if (poll(&p, 1, 1000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 &&
        err == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &mine_len) == 0) {
      int my_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&mine)->sin6_port
                             : reinterpret_cast<sockaddr_in*>(&mine)->sin_port);
      absl::Time deadline = absl::Now() + options_.accept_deadline;
      for (absl::Duration wait = absl::Milliseconds(5); !accepted && absl::Now() < deadline;
           wait = std::min(wait * 2, absl::Milliseconds(250))) {
        absl::SleepFor(wait);
        for (const ServerSide& s : ServerSides(options_.port)) {
          if (s.peer_port == my_port && s.inode != 0) accepted = true;
        }
      }
    }
  }
  close(fd);
  return accepted;
}

PortConnections GrpcPortGuard::Enforce() {
  std::vector<ServerSide> sides = ServerSides(options_.port);
  PortConnections c;
  // Accepted connections only: those in the accept queue hold no descriptor yet.
  // Established ones only: one already shut down leaves that state at once.
  std::erase_if(sides, [](const ServerSide& s) { return s.inode == 0 || s.state != 1; });
  c.total = sides.size();
  if (sides.size() <= std::min(options_.max_connections, options_.max_connections_per_peer)) {
    return c;
  }
  // Oldest first (inodes grow): the newest beyond a peer's share or the total are shut down.
  std::sort(sides.begin(), sides.end(),
            [](const ServerSide& a, const ServerSide& b) { return a.inode < b.inode; });
  std::map<std::string, size_t> per_peer;
  std::vector<uint64_t> excess;
  size_t kept = 0;
  for (const ServerSide& s : sides) {
    size_t& n = per_peer[s.peer_ip];
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
