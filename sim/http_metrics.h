// The node's /metrics registry as the real guts-node exposes it: three series that move
// (guts_http_requests_total, guts_http_request_duration_seconds, guts_http_active_connections)
// and the series that are registered but never updated (guts_p2p_peers_connected stays 0,
// guts_p2p_messages_total has no samples, business gauges stay 0). Rendered as OpenMetrics
// text ending in "# EOF".
//
// Example:
//   HttpMetrics m;
//   m.RecordRequest("GET", "/health", 200, absl::Microseconds(80));
//   std::string text = m.Render();
//
// Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/time/time.h"

namespace guts::sim {

class HttpMetrics {
 public:
  void RecordRequest(const std::string& method, const std::string& path, int status,
                     absl::Duration duration);
  void ConnectionOpened() { ++active_connections_; }
  void ConnectionClosed() { --active_connections_; }
  // A restarted process starts from empty counters.
  void Reset();

  std::string Render() const;

  static constexpr const char* kContentType =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";

 private:
  static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1.0,  2.5,   5.0,  10.0};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // Non-cumulative counts.
    uint64_t count = 0;
    double sum = 0;
  };
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> durations_;
  int64_t active_connections_ = 0;
};

}  // namespace guts::sim
