#include "collector/ingest/grpc_port_guard.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/socket_pair.h"

namespace guts::collector {
namespace {

// A listener that accepts (or not) in a thread of this process, the way gRPC's accept loop
// holds the server's descriptors: the guard sees them through /proc/self/fd.
class Listener {
 public:
  explicit Listener(const std::string& ip) : fd_(testing::Listen(ip, port_)) {}
  ~Listener() {
    StopAccepting();
    for (int fd : accepted_) close(fd);
    close(fd_);
  }
  void StartAccepting() {
    // Non-blocking accepts, so that the thread can be told to stop.
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    accepting_ = true;
    thread_ = std::thread([this] {
      while (accepting_) {
        int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK);
        if (fd >= 0)
          accepted_.push_back(fd);
        else
          absl::SleepFor(absl::Milliseconds(2));
      }
    });
  }
  void StopAccepting() {
    accepting_ = false;
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
  int fd_;
  std::atomic<bool> accepting_{false};
  std::thread thread_;
  std::vector<int> accepted_;
};

// Long enough for many probes, each with a deadline short enough that a probe the guard cannot
// see accepted fails within the test (two such misses restart the listener). The server binds
// 127.0.94.1 while the kernel connects the probe from 127.0.0.1: the guard must look the server's
// side up by the probe's real address (it once used the server's, so every collector bound to
// an address other than 127.0.0.1 restarted its gRPC server every few seconds).
TEST(GrpcPortGuardTest, AcceptingPortStaysAcceptingAndIsNeverRestarted) {
  Listener listener("127.0.94.1");
  listener.StartAccepting();
  std::atomic<int> restarts{0};
  GrpcPortGuard guard({.host = "127.0.94.1",
                       .port = listener.port(),
                       .interval = absl::Milliseconds(50),
                       .accept_deadline = absl::Milliseconds(500)},
                      [&] {
                        ++restarts;
                        return absl::OkStatus();
                      });
  guard.Start();
  absl::SleepFor(absl::Seconds(3));
  EXPECT_TRUE(guard.Accepting());
  EXPECT_EQ(guard.NotAcceptingSince(), absl::InfiniteFuture());
  guard.Stop();
  EXPECT_EQ(restarts.load(), 0);
  EXPECT_EQ(guard.Restarts(), 0u);
}

// Fills this process's descriptor table (a low soft limit, then /dev/null until EMFILE) and
// frees it again on destruction, with the limit restored.
class DescriptorShortage {
 public:
  DescriptorShortage() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, 512);
    setrlimit(RLIMIT_NOFILE, &low);
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) held_.push_back(fd);
  }
  ~DescriptorShortage() {
    for (int fd : held_) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved_);
  }
  size_t held() const { return held_.size(); }

 private:
  rlimit saved_{};
  std::vector<int> held_;
};

GrpcPortGuardOptions NeverAcceptingOptions(const Listener& listener, const std::string& ip) {
  return {.host = ip,
          .port = listener.port(),
          .interval = absl::Milliseconds(20),
          .accept_deadline = absl::Milliseconds(100)};
}

// gRPC 1.51 stops accepting for good after one failed accept4() (EMFILE): the kernel still
// completes the handshake (the probe connects) but no process takes the connection. Once the
// process has run out of descriptors, two misses restart the listener, long before the
// unexplained-stall limit.
TEST(GrpcPortGuardTest, PortThatNoLongerAcceptsAfterDescriptorsRanOutIsRestartedAtOnce) {
  Listener listener("127.0.94.2");  // listening, never accepting
  std::atomic<int> restarts{0};
  GrpcPortGuardOptions options = NeverAcceptingOptions(listener, "127.0.94.2");
  options.restart_unexplained_after = absl::Minutes(10);
  GrpcPortGuard guard(options, [&] {
    ++restarts;
    return absl::OkStatus();
  });
  guard.Start();
  {
    DescriptorShortage shortage;
    ASSERT_GT(shortage.held(), 0u);
    absl::SleepFor(absl::Milliseconds(200));  // the guard's probes find no descriptor
  }
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (restarts.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(guard.Accepting());
  EXPECT_NE(guard.NotAcceptingSince(), absl::InfiniteFuture());
  guard.Stop();
  EXPECT_EQ(restarts.load(), 1);  // the next one only after the 5 s backoff
}

// The shortage that killed the accept loop may be over by the time the guard probes: the port's
// own connections still hold nearly every descriptor, but a few are free again (gRPC closed
// some, or the guard shut down those beyond its limits), so the probe gets its socket. The
// descriptor table near the limit is the evidence then (the hostile client suite's connection
// flood once waited out the whole unexplained-stall limit for want of it).
TEST(GrpcPortGuardTest, PortNotAcceptingWhileItsConnectionsHoldNearlyEveryDescriptorIsRestarted) {
  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 128);
  setrlimit(RLIMIT_NOFILE, &low);
  std::vector<int> held;
  {
    Listener listener("127.0.94.5");
    listener.StartAccepting();
    std::vector<int> clients;
    for (int i = 0; i < 40; ++i) {
      clients.push_back(testing::Connect("127.0.94.6", "127.0.94.5", listener.port()));
    }
    absl::SleepFor(absl::Milliseconds(200));
    listener.StopAccepting();  // gRPC's accept loop, gone
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) held.push_back(fd);
    ASSERT_GE(held.size(), 4u);
    for (int i = 0; i < 4; ++i) {  // enough for the probe's socket and its lookups
      close(held.back());
      held.pop_back();
    }
    std::atomic<int> restarts{0};
    GrpcPortGuardOptions options = NeverAcceptingOptions(listener, "127.0.94.5");
    options.restart_unexplained_after = absl::Minutes(10);
    GrpcPortGuard guard(options, [&] {
      ++restarts;
      return absl::OkStatus();
    });
    guard.Start();
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (restarts.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    guard.Stop();
    EXPECT_EQ(restarts.load(), 1);
    for (int fd : clients) close(fd);
  }
  for (int fd : held) close(fd);
  setrlimit(RLIMIT_NOFILE, &saved);
}

// A server whose threads all wait on a starved one (S24: the snapshot writer under a CPU
// quota) accepts nothing for a while, then again. A restart would not cure it and would cut
// every agent's stream (S24 once paged NODE_DOWN and COLLECTOR_UNREACHABLE for it).
TEST(GrpcPortGuardTest, ServerTooBusyToAcceptForAWhileIsNotRestarted) {
  Listener listener("127.0.94.3");
  std::atomic<int> restarts{0};
  GrpcPortGuard guard(NeverAcceptingOptions(listener, "127.0.94.3"), [&] {
    ++restarts;
    return absl::OkStatus();
  });
  guard.Start();
  absl::SleepFor(absl::Milliseconds(1500));  // dozens of missed probes
  EXPECT_FALSE(guard.Accepting());
  listener.StartAccepting();
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!guard.Accepting() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_TRUE(guard.Accepting());
  guard.Stop();
  EXPECT_EQ(restarts.load(), 0);
}

// Whatever holds a port that has accepted nothing for `restart_unexplained_after`, a new
// server is the last resort, and not before.
TEST(GrpcPortGuardTest, PortNotAcceptingWithoutAShortageIsRestartedOnlyAfterTheLimit) {
  Listener listener("127.0.94.4");  // listening, never accepting
  std::atomic<int> restarts{0};
  std::atomic<int64_t> restarted_at_ns{0};
  GrpcPortGuardOptions options = NeverAcceptingOptions(listener, "127.0.94.4");
  options.restart_unexplained_after = absl::Milliseconds(1500);
  // The time is stored before the count that the test waits on: the other way round, the test
  // could read the count of 1 while the time still read 0.
  GrpcPortGuard guard(options, [&] {
    if (restarts.load() == 0) restarted_at_ns = absl::GetCurrentTimeNanos();
    ++restarts;
    return absl::OkStatus();
  });
  guard.Start();
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (restarts.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_EQ(restarts.load(), 1);
  EXPECT_GE(absl::FromUnixNanos(restarted_at_ns.load()) - guard.NotAcceptingSince(),
            absl::Milliseconds(1500));
  guard.Stop();
}

// Five connections from `client_ip` to a listener on `server_ip`, then a guard with `options`
// (host and port filled in) until three of them are shut down, and several intervals more so
// that a fourth would have gone too. Which ones go is by socket inode, which only roughly
// follows age (the kernel hands inode numbers out in per-CPU batches), so the test counts them.
// Returns how many were shut down, and the guard's listings.
std::pair<int, size_t> ShutDownOfFive(const char* server_ip, const char* client_ip,
                                      GrpcPortGuardOptions options) {
  Listener listener(server_ip);
  listener.StartAccepting();
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(testing::Connect(client_ip, server_ip, listener.port()));
  }
  absl::SleepFor(absl::Milliseconds(200));
  options.host = server_ip;
  options.port = listener.port();
  options.interval = absl::Milliseconds(50);
  options.accept_deadline = absl::Seconds(2);
  GrpcPortGuard guard(options, [] { return absl::OkStatus(); });
  guard.Start();
  // A shut down one's client reads end of stream.
  std::vector<bool> closed(clients.size(), false);
  auto count_closed = [&] {
    int n = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
      char byte;
      if (!closed[i] && recv(clients[i], &byte, 1, MSG_DONTWAIT) == 0) closed[i] = true;
      n += closed[i];
    }
    return n;
  };
  absl::Time deadline = absl::Now() + absl::Seconds(20);  // a bound for a loaded machine
  while (count_closed() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  absl::SleepFor(absl::Milliseconds(300));  // several more intervals: no fourth one goes
  std::pair<int, size_t> result = {count_closed(), guard.Listings()};
  guard.Stop();
  for (int fd : clients) close(fd);
  return result;
}

TEST(GrpcPortGuardTest, ConnectionsBeyondAPeersShareAreShutDown) {
  EXPECT_EQ(ShutDownOfFive("127.0.94.3", "127.0.94.4", {.max_connections_per_peer = 2}).first, 3);
}

// The total limit alone (every peer under its share) shuts the newest down too.
TEST(GrpcPortGuardTest, ConnectionsBeyondTheTotalAreShutDown) {
  auto [shut_down, listings] = ShutDownOfFive("127.0.94.5", "127.0.94.6", {.max_connections = 2});
  EXPECT_EQ(shut_down, 3);
  EXPECT_GT(listings, 0u);
}

// While the process holds fewer descriptors than the smaller limit, no limit can be exceeded:
// the guard does not list the port (a walk of the kernel's whole TCP table). With limits below
// the descriptors it holds, it does.
TEST(GrpcPortGuardTest, PortIsListedOnlyWhenTheDescriptorsExceedALimit) {
  Listener listener("127.0.94.7");
  listener.StartAccepting();
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(testing::Connect("127.0.94.8", "127.0.94.7", listener.port()));
  }
  size_t open = 0;
  for (int fd = 0; fd < 65536; ++fd) open += fcntl(fd, F_GETFD) != -1 ? 1 : 0;
  ASSERT_GT(open, 6u);
  {
    GrpcPortGuard guard({.host = "127.0.94.7",
                         .port = listener.port(),
                         .max_connections = open + 64,
                         .max_connections_per_peer = open + 64,
                         .interval = absl::Milliseconds(20),
                         .accept_deadline = absl::Seconds(2)},
                        [] { return absl::OkStatus(); });
    guard.Start();
    absl::SleepFor(absl::Milliseconds(400));
    guard.Stop();
    EXPECT_EQ(guard.Listings(), 0u);
    EXPECT_TRUE(guard.Accepting());
  }
  {
    // Below the descriptors, above the port's three connections (and the probes'): listed,
    // and nothing is shut down.
    GrpcPortGuard guard({.host = "127.0.94.7",
                         .port = listener.port(),
                         .max_connections = 6,
                         .interval = absl::Milliseconds(20),
                         .accept_deadline = absl::Seconds(2)},
                        [] { return absl::OkStatus(); });
    guard.Start();
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (guard.Listings() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    guard.Stop();
    EXPECT_GE(guard.Listings(), 3u);
  }
  for (int fd : clients) {
    char byte;
    EXPECT_NE(recv(fd, &byte, 1, MSG_DONTWAIT), 0);  // still open
    close(fd);
  }
}

}  // namespace
}  // namespace guts::collector
