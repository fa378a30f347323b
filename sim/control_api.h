// The simulator's control API (HTTP JSON on --control-addr), used by `guts-sim ctl` and tests:
//   POST /v1/command  {"args": ["partition", "v1,v2|v3"]} -> 200 {"ok": true, "applied": ...}
//                     400 {"error": "..."} for a bad command, 409 when it cannot apply here
//   GET  /v1/status   -> the network's state (nodes, views, heights, cut links)
//
// Example:
//   ControlApi control(io, net);
//   absl::Status s = control.Listen("127.0.0.1", 7070);
//
// Thread-compatible: runs on the event loop's thread.
#pragma once

#include <asio.hpp>
#include <string>

#include "absl/status/status.h"
#include "sim/http_listener.h"
#include "sim/network.h"

namespace guts::sim {

class ControlApi {
 public:
  ControlApi(asio::io_context& io, Network& net);
  // UNAVAILABLE when the address cannot be bound. Port 0 picks one.
  absl::Status Listen(const std::string& host, int port);
  int port() const { return http_.port(); }
  void Close() { http_.Close(); }

 private:
  HttpReply Serve(const HttpRequest& request);
  Network& net_;
  HttpListener http_;
};

}  // namespace guts::sim
