// The simulator's control API (HTTP JSON on --control-addr), used by `guts-sim ctl` and tests:
//   POST /v1/command  {"args": ["partition", "v1,v2|v3"]} -> 200 {"ok": true, "applied": ...}
//                     400 {"error": "..."} for a bad command, 409 when it cannot apply here
//   GET  /v1/status   -> the network's state (nodes, views, heights, cut links)
//
// Example:
//   ControlApi control(io, /*node_count=*/7, [&](const FaultCommand& c) { ... });
//   absl::Status s = control.Listen("127.0.0.1", 7070);
//
// Thread-compatible: runs on the event loop's thread.
#pragma once

#include <asio.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/fault_command.h"
#include "sim/http_listener.h"

namespace guts::sim {

class ControlApi {
 public:
  // Applies a parsed command to the whole network (every shard).
  using Apply = std::function<absl::StatusOr<nlohmann::json>(const FaultCommand&)>;

  ControlApi(asio::io_context& io, int node_count, Apply apply);
  // UNAVAILABLE when the address cannot be bound. Port 0 picks one.
  absl::Status Listen(const std::string& host, int port);
  int port() const { return http_.port(); }
  void Close() { http_.Close(); }

 private:
  HttpReply Serve(const HttpRequest& request);
  int node_count_;
  Apply apply_;
  HttpListener http_;
};

}  // namespace guts::sim
