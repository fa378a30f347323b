#include "sim/http_metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace guts::sim {

void HttpMetrics::RecordRequest(const std::string& method, const std::string& path, int status,
                                absl::Duration duration) {
  ++requests_[{method, path, status}];
  Histogram& h = durations_[{method, path}];
  double seconds = absl::ToDoubleSeconds(duration);
  ++h.count;
  h.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
}

void HttpMetrics::Reset() {
  requests_.clear();
  durations_.clear();
}

std::string HttpMetrics::Render() const {
  std::string out;
  absl::StrAppend(&out, "# HELP guts_http_requests Total number of HTTP requests.\n",
                  "# TYPE guts_http_requests counter\n");
  for (const auto& [key, n] : requests_) {
    const auto& [method, path, status] = key;
    absl::StrAppend(&out, "guts_http_requests_total{method=\"", method, "\",path=\"", path,
                    "\",status=\"", status, "\"} ", n, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP guts_http_request_duration_seconds HTTP request duration in seconds.\n",
                  "# TYPE guts_http_request_duration_seconds histogram\n");
  for (const auto& [key, h] : durations_) {
    std::string labels = absl::StrCat("method=\"", key.first, "\",path=\"", key.second, "\"");
    absl::StrAppend(&out, "guts_http_request_duration_seconds_sum{", labels, "} ",
                    absl::StrFormat("%.9f", h.sum), "\n");
    absl::StrAppend(&out, "guts_http_request_duration_seconds_count{", labels, "} ", h.count, "\n");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      absl::StrAppend(&out, "guts_http_request_duration_seconds_bucket{le=\"",
                      absl::StrFormat("%g", kBuckets[i]), "\",", labels, "} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "guts_http_request_duration_seconds_bucket{le=\"+Inf\",", labels, "} ",
                    h.count, "\n");
  }
  absl::StrAppend(&out, "# HELP guts_http_active_connections Number of active HTTP connections.\n",
                  "# TYPE guts_http_active_connections gauge\n", "guts_http_active_connections ",
                  active_connections_, "\n");
  // Registered by the node but never updated by its code.
  absl::StrAppend(&out, "# HELP guts_p2p_peers_connected Number of connected P2P peers.\n",
                  "# TYPE guts_p2p_peers_connected gauge\n", "guts_p2p_peers_connected 0\n",
                  "# HELP guts_p2p_messages Total number of P2P messages.\n",
                  "# TYPE guts_p2p_messages counter\n");
  for (const char* gauge : {"repositories", "users", "organizations", "pull_requests", "issues"}) {
    absl::StrAppend(&out, "# HELP guts_", gauge, " Number of ", gauge, ".\n", "# TYPE guts_", gauge,
                    " gauge\n", "guts_", gauge, " 0\n");
  }
  out += "# EOF\n";
  return out;
}

}  // namespace guts::sim
