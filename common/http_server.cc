#include "common/http_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace guts {
namespace {

HttpRequest ToRequest(const httplib::Request& req) {
  return HttpRequest{req.path, req.body, req.remote_addr,
                     [&req](const std::string& key) { return req.get_param_value(key); },
                     [&req](const std::string& name) { return req.get_header_value(name); }};
}

void Write(const HttpResponse& r, httplib::Response& res) {
  res.status = r.status;
  res.set_content(r.body, r.content_type.c_str());
}

// "addr:port" of a socket's peer or own end; "" when it has none (a listener, not a socket).
std::string Endpoint(int fd, bool peer, int* port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    *port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    *port = ntohs(a->sin6_port);
  } else {
    return "";
  }
  return absl::StrCat(buf, ":", *port);
}

}  // namespace

bool IsLoopbackAddress(const std::string& addr) {
  return absl::StartsWith(addr, "127.") || addr == "::1" || absl::StartsWith(addr, "::ffff:127.");
}

// httplib's thread pool, counting the connections it holds: accepted ones waiting for a worker
// and ones being served (each connection serves one request, then is closed by its task).
class CountingThreadPool : public httplib::TaskQueue {
 public:
  CountingThreadPool(size_t threads, std::atomic<int>* connections)
      : pool_(threads), connections_(connections) {}

  void enqueue(std::function<void()> fn) override {
    connections_->fetch_add(1);
    pool_.enqueue([fn = std::move(fn), connections = connections_] {
      fn();
      connections->fetch_sub(1);
    });
  }
  void shutdown() override { pool_.shutdown(); }
  void on_idle() override { pool_.on_idle(); }

 private:
  httplib::ThreadPool pool_;
  std::atomic<int>* connections_;
};

struct HttpServer::Impl {
  explicit Impl(HttpServerOptions o) : options(o) {}

  HttpServerOptions options;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  // Connections accepted and not yet closed (CountingThreadPool).
  std::atomic<int> connections{0};

  // The request deadline: connections of our port that are not inside a handler and are older
  // than the deadline are shut down (the worker then sees EOF and closes them).
  std::thread watchdog;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  std::multiset<std::string> in_handler;  // peers "addr:port" inside a handler
  std::map<std::pair<int, std::string>, absl::Time> first_seen;  // (fd, peer) -> first scan

  void Watch() {
    std::unique_lock<std::mutex> lock(mu);
    while (!wake.wait_for(lock, std::chrono::seconds(1), [this] { return stopping; })) {
      // No connection open: nothing to time out, and no need to list every fd of the process
      // (a scan a second was a tenth of an idle agent's CPU, issue 21). A connection accepted
      // just now is first seen by the next scan, a second later at most.
      if (connections.load() == 0) {
        first_seen.clear();
        continue;
      }
      lock.unlock();
      std::vector<std::pair<int, std::string>> open = OurConnections();
      lock.lock();
      absl::Time now = absl::Now();
      std::map<std::pair<int, std::string>, absl::Time> seen;
      for (const auto& c : open) {
        auto it = first_seen.find(c);
        absl::Time since = it == first_seen.end() ? now : it->second;
        seen[c] = since;
        if (now - since > options.request_deadline && in_handler.count(c.second) == 0) {
          shutdown(c.first, SHUT_RDWR);
        }
      }
      first_seen.swap(seen);
    }
  }

  // Connected sockets of this process whose own end is our port.
  std::vector<std::pair<int, std::string>> OurConnections() const {
    std::vector<std::pair<int, std::string>> out;
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return out;
    int dir_fd = dirfd(dir);
    while (dirent* e = readdir(dir)) {
      int fd = std::atoi(e->d_name);
      if (fd <= 2 || fd == dir_fd) continue;
      int local_port = 0, peer_port = 0;
      if (Endpoint(fd, false, &local_port).empty() || local_port != port) continue;
      std::string peer = Endpoint(fd, true, &peer_port);
      if (!peer.empty()) out.emplace_back(fd, std::move(peer));
    }
    closedir(dir);
    return out;
  }

  // Runs a handler with its connection exempt from the deadline.
  template <typename F>
  void InHandler(const httplib::Request& req, F&& f) {
    std::string peer = absl::StrCat(req.remote_addr, ":", req.remote_port);
    {
      std::lock_guard<std::mutex> lock(mu);
      in_handler.insert(peer);
    }
    f();
    std::lock_guard<std::mutex> lock(mu);
    in_handler.erase(in_handler.find(peer));
  }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>(options)) {
  int threads = std::max(1, options.threads);
  impl_->server.new_task_queue = [threads, connections = &impl_->connections] {
    return new CountingThreadPool(static_cast<size_t>(threads), connections);
  };
  // httplib's default also sets SO_REUSEPORT, which would let a second process silently
  // share our port; a port conflict must be an error instead.
  impl_->server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  auto micros = [](absl::Duration d) { return absl::ToInt64Microseconds(d); };
  impl_->server.set_read_timeout(micros(options.read_timeout) / 1000000,
                                 micros(options.read_timeout) % 1000000);
  impl_->server.set_write_timeout(micros(options.write_timeout) / 1000000,
                                  micros(options.write_timeout) % 1000000);
  impl_->server.set_keep_alive_max_count(1);
  impl_->server.set_payload_max_length(options.max_body_bytes);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& path, std::function<HttpResponse()> handler) {
  Impl* impl = impl_.get();
  impl_->server.Get(path, [impl, handler](const httplib::Request& req, httplib::Response& res) {
    impl->InHandler(req, [&] { Write(handler(), res); });
  });
}

void HttpServer::Get(const std::string& path,
                     std::function<HttpResponse(const HttpRequest&)> handler) {
  Impl* impl = impl_.get();
  impl_->server.Get(path, [impl, handler](const httplib::Request& req, httplib::Response& res) {
    impl->InHandler(req, [&] { Write(handler(ToRequest(req)), res); });
  });
}

void HttpServer::Post(const std::string& path,
                      std::function<HttpResponse(const HttpRequest&)> handler) {
  Impl* impl = impl_.get();
  impl_->server.Post(path, [impl, handler](const httplib::Request& req, httplib::Response& res) {
    impl->InHandler(req, [&] { Write(handler(ToRequest(req)), res); });
  });
}

absl::Status HttpServer::Start(const std::string& host, int port) {
  int bound = port == 0 ? impl_->server.bind_to_any_port(host.c_str())
                        : (impl_->server.bind_to_port(host.c_str(), port) ? port : -1);
  if (bound < 0) {
    return absl::UnavailableError(absl::StrCat("cannot bind HTTP to ", host, ":", port));
  }
  impl_->port = bound;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // stop() is a no-op until the listen loop runs; wait for it so Stop() can never be lost.
  while (!impl_->server.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->watchdog = std::thread([this] { impl_->Watch(); });
  return absl::OkStatus();
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->watchdog.joinable()) {
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      impl_->stopping = true;
    }
    impl_->wake.notify_all();
    impl_->watchdog.join();
  }
  if (impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

}  // namespace guts
