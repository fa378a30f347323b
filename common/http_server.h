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
// Thread-safe: handlers run on the server's worker threads and may be called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"

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
  // Query parameter value, or "" when absent.
  std::function<std::string(const std::string&)> param;
};

class HttpServer {
 public:
  HttpServer();
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
