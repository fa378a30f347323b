// A blocking HTTP GET client for the node's API, on cpp-httplib (the library the agent's own
// /metrics server uses): one reused connection per client (keep-alive to the node between
// snapshots).
//
// Example:
//   NodeHttpClient http;
//   absl::StatusOr<HttpReply> reply = http.Get("http://127.0.0.11:8080/health",
//                                               absl::Milliseconds(500));
//
// Thread-compatible: one client per thread (each source owns its own).
// Errors: UNAVAILABLE with the URL and the reason ("Could not establish connection", "timeout
// after 500ms") when no whole HTTP answer arrived; DEADLINE_EXCEEDED from GetTo when the
// timeout ran out. Any HTTP status, including 5xx, is a successful reply.
// Note: the timeout bounds connecting, each read and write, and the body as a whole; a server
// that sends its status line and headers a byte at a time can stretch the header phase up to
// the timeout per byte (the source runner still cuts the snapshot's source off at its deadline).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

  // GETs `url` ("http://host:port/path"), giving up after `timeout` (at least 1 ms). Bodies
  // over 8 MiB are an error.
  absl::StatusOr<HttpReply> Get(const std::string& url, absl::Duration timeout);

  // GETs `url` handing the body to `on_body` piece by piece; `on_body` returning false stops
  // the transfer early, which is not an error. Returns the HTTP status; DEADLINE_EXCEEDED when
  // `timeout` ran out first, UNAVAILABLE when no answer came.
  absl::StatusOr<long> GetTo(const std::string& url, absl::Duration timeout,
                             const std::function<bool(absl::string_view)>& on_body);

 private:
  // The open connection and the "http://host:port" it goes to, reused while that stays the
  // same.
  struct Connection;
  std::unique_ptr<Connection> connection_;
};

}  // namespace guts::agent
