#include "sim/shard.h"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>

#include "absl/strings/str_cat.h"
#include "sim/fault_command.h"
#include "sim/faults.h"
#include "sim/network.h"
#include "sim/overlay.h"

namespace guts::sim {
namespace {

bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

nlohmann::json Handle(Network& net, const nlohmann::json& request) {
  if (request.contains("status")) return net.StatusJson();
  std::vector<std::string> words;
  for (const auto& w : request.value("args", nlohmann::json::array())) {
    if (w.is_string()) words.push_back(w.get<std::string>());
  }
  absl::StatusOr<FaultCommand> c = ParseFaultCommand(words, net.size());
  if (!c.ok()) return {{"error", std::string(c.status().message())}};
  absl::StatusOr<nlohmann::json> r = ApplyFault(net, *c);
  if (!r.ok()) return {{"error", std::string(r.status().message())}};
  return *r;
}

// The helper process: its own event loop, its slice of nodes, requests from the parent.
[[noreturn]] void RunShard(SimOptions options, int fd) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) _exit(1);  // The parent already died.
  asio::io_context io(1);
  Network net(io, options);
  absl::Status s = net.Start();
  nlohmann::json first = s.ok() ? nlohmann::json{{"nodes", net.ReadyJson("")["nodes"]}}
                                : nlohmann::json{{"error", std::string(s.message())}};
  if (!WriteAll(fd, first.dump() + "\n") || !s.ok()) {
    net.Stop();
    _exit(1);
  }
  asio::posix::stream_descriptor pipe(io, fd);
  asio::streambuf buffer;
  std::function<void()> read = [&] {
    asio::async_read_until(pipe, buffer, '\n', [&](std::error_code ec, size_t n) {
      if (ec) {  // The parent is gone: end like the rest of the network.
        net.Stop();
        io.stop();
        return;
      }
      std::string line(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + n);
      buffer.consume(n);
      nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
      nlohmann::json reply =
          request.is_object() ? Handle(net, request) : nlohmann::json{{"error", "bad request"}};
      asio::error_code ignored;
      asio::write(pipe, asio::buffer(reply.dump() + "\n"), ignored);
      read();
    });
  };
  read();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int) {
    net.Stop();
    io.stop();
  });
  io.run();
  _exit(0);
}

}  // namespace

int ShardsNeeded(const SimOptions& o) {
  struct rlimit lim {};
  getrlimit(RLIMIT_NOFILE, &lim);
  double n = o.nodes;
  double peers = Overlay(o.nodes, o.peers_per_node).MaxPeers();
  // Per process: 2 sockets per link direction touching its nodes, listeners, log files, and
  // room for the agents' HTTP connections.
  double sockets = 2 * n * peers + 6 * n;
  double budget = static_cast<double>(lim.rlim_cur) - 512;
  if (budget <= 0) return 1;
  return std::max(1, static_cast<int>(std::ceil(sockets / budget)));
}

absl::StatusOr<std::unique_ptr<ShardProcess>> ShardProcess::Spawn(const SimOptions& options) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return absl::InternalError("socketpair failed");
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError("fork failed");
  }
  if (pid == 0) {
    close(fds[0]);
    RunShard(options, fds[1]);
  }
  close(fds[1]);
  return std::unique_ptr<ShardProcess>(new ShardProcess(pid, fds[0]));
}

ShardProcess::~ShardProcess() { Stop(); }

absl::StatusOr<nlohmann::json> ShardProcess::ReadLine(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (pending_.find('\n') == std::string::npos) {
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) return absl::DeadlineExceededError("shard process did not answer");
    struct pollfd p = {fd_, POLLIN, 0};
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char chunk[65536];
    ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n <= 0) return absl::UnavailableError("shard process exited");
    pending_.append(chunk, static_cast<size_t>(n));
  }
  size_t eol = pending_.find('\n');
  nlohmann::json reply = nlohmann::json::parse(pending_.substr(0, eol), nullptr, false);
  pending_.erase(0, eol + 1);
  if (!reply.is_object()) return absl::InternalError("shard process sent a bad reply");
  if (reply.contains("error")) {
    return absl::FailedPreconditionError(reply["error"].get<std::string>());
  }
  return reply;
}

absl::StatusOr<nlohmann::json> ShardProcess::Ready(absl::Duration timeout) {
  absl::StatusOr<nlohmann::json> first = ReadLine(timeout);
  if (!first.ok()) return first.status();
  return (*first)["nodes"];
}

absl::StatusOr<nlohmann::json> ShardProcess::Call(const nlohmann::json& request) {
  if (pid_ <= 0 || !WriteAll(fd_, request.dump() + "\n")) {
    return absl::UnavailableError("shard process is gone");
  }
  return ReadLine(absl::Seconds(30));
}

void ShardProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    usleep(50 * 1000);
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  close(fd_);
}

}  // namespace guts::sim
