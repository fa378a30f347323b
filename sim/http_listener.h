// A small HTTP/1.1 server that runs on the simulator's shared asio event loop.
//
// Why not cpp-httplib: every simulated node serves its own API, and 100 (or 1000) nodes with
// httplib would mean an accept thread plus a worker pool per node, hundreds of threads on a
// 2-core machine. This server costs one socket per connection and no thread; it supports what
// agents and curl send (GET/POST, Content-Length bodies, keep-alive).
//
// Example:
//   HttpListener api(io, [](const HttpRequest& r) -> std::optional<HttpReply> {
//     return HttpReply{200, "application/json", "{}"};
//   });
//   absl::Status s = api.Listen("127.0.0.11", 8080);
//
// Thread-compatible: every call, and every handler invocation, happens on the loop's thread.
#pragma once

#include <asio.hpp>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace guts::sim {

struct HttpRequest {
  std::string method;
  std::string path;   // Without the query string.
  std::string query;  // After '?', or "".
  std::string body;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class HttpListener {
 public:
  using Handler = std::function<HttpReply(const HttpRequest&)>;
  // Called with +1 when a connection opens and -1 when it closes.
  using ConnectionObserver = std::function<void(int)>;

  HttpListener(asio::io_context& io, Handler handler, ConnectionObserver observer = nullptr);
  ~HttpListener();  // Close().
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and starts accepting. Port 0 picks a free port. UNAVAILABLE when the bind fails.
  absl::Status Listen(const std::string& host, int port);
  int port() const { return port_; }

  // Frozen: accepted connections and requests wait unanswered (the kernel still completes
  // TCP handshakes into the backlog) until Unfreeze(). Models a paused (SIGSTOPped) process.
  void Freeze();
  void Unfreeze();

  // Closes the listening socket and every open connection. Idempotent.
  void Close();

 private:
  class Connection;
  void Accept();
  void RetryAcceptLater();
  void Serve(std::shared_ptr<Connection> conn);

  asio::io_context& io_;
  Handler handler_;
  ConnectionObserver observer_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::list<std::weak_ptr<Connection>> connections_;
  std::list<std::function<void()>> parked_;  // Work deferred while frozen.
  bool frozen_ = false;
  int port_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace guts::sim
