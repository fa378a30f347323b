// A small HTTP/1.1 server for a process's own operational endpoints (/metrics, /healthz,
// /readyz, control APIs), running on its own threads.
//
// Example:
//   guts::HttpServer http;
//   http.Get("/healthz", [] { return guts::HttpResponse{200, "text/plain", "ok\n"}; });
//   absl::Status s = http.Start("127.0.0.1", 9102);
//   ...
//   http.Stop();
//
// Each connection serves one request (no keep-alive), so a request deadline is a connection
// deadline.
//
// Thread-safe: handlers run on the server's worker threads and may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace guts {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A request as the handlers see it: the path's query parameters and the body.
struct HttpRequest {
  std::string path;
  std::string body;
  // The client's address ("127.0.0.1", "::1", ...), for endpoints only local callers may use.
  std::string remote_addr;
  // Query parameter value, or "" when absent.
  std::function<std::string(const std::string&)> param;
  // Header value (case-insensitive name), or "" when absent.
  std::function<std::string(const std::string&)> header;
};

// Bounds that keep slow or hostile clients from starving the probes (docs/security.md).
struct HttpServerOptions {
  // Worker threads; connections beyond them wait in the accept queue.
  int threads = 4;
  // A connection that has not sent a whole request this long after it was accepted (or waits
  // that long for a worker) is shut down: a client dripping one header byte at a time cannot
  // hold a worker. Handlers themselves are not cut short.
  absl::Duration request_deadline = absl::Seconds(5);
  // Bounds on one recv/send, and on a request body.
  absl::Duration read_timeout = absl::Seconds(2);
  absl::Duration write_timeout = absl::Seconds(5);
  size_t max_body_bytes = 1 << 20;
};

// True for 127.0.0.0/8 and ::1 (and IPv4-mapped loopback).
bool IsLoopbackAddress(const std::string& addr);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();  // Stops the server if running.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers handlers. REQUIRES: called before Start().
  void Get(const std::string& path, std::function<HttpResponse()> handler);
  void Get(const std::string& path, std::function<HttpResponse(const HttpRequest&)> handler);
  void Post(const std::string& path, std::function<HttpResponse(const HttpRequest&)> handler);

  // Binds host:port (port 0 picks a free port) and starts serving in the background.
  // Returns UNAVAILABLE when the address cannot be bound.
  absl::Status Start(const std::string& host, int port);

  // The bound port, valid after a successful Start().
  int port() const;

  // Stops serving and joins the server's threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace guts
