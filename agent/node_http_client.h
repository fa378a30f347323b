// A blocking HTTP GET client for the node's API, on one reused libcurl handle (keep-alive to the
// node between snapshots).
//
// Example:
//   NodeHttpClient http;
//   absl::StatusOr<HttpReply> reply = http.Get("http://127.0.0.11:8080/health",
//                                               absl::Milliseconds(500));
//
// Thread-compatible: one client per thread (each source owns its own).
// Errors: UNAVAILABLE with the URL and curl's reason ("connection refused", "timeout ...")
// when no HTTP answer arrived. Any HTTP status, including 5xx, is a successful reply.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace guts::agent {

struct HttpReply {
  long status = 0;
  std::string body;
  absl::Duration latency;
};

class NodeHttpClient {
 public:
  NodeHttpClient();
  ~NodeHttpClient();
  NodeHttpClient(const NodeHttpClient&) = delete;
  NodeHttpClient& operator=(const NodeHttpClient&) = delete;

  // GETs `url`, giving up after `timeout` (at least 1 ms). Bodies over 8 MiB are an error.
  absl::StatusOr<HttpReply> Get(const std::string& url, absl::Duration timeout);

 private:
  void* curl_;  // CURL*
};

}  // namespace guts::agent
