// The `node_metrics` source: GET <node api>/metrics (OpenMetrics or Prometheus text), keeps the
// guts_ series and derives, between two scrapes, the 5xx ratio of guts_http_requests_total and
// the p99 of the guts_http_request_duration_seconds histogram (from bucket deltas, linear
// interpolation inside the bucket as Prometheus' histogram_quantile does). The first scrape
// compares against zero, i.e. covers the node's whole uptime; a counter reset does the same.
// The 5xx ratio counts API requests only: /health* answers 503 by design until the node is
// ready (the health figures say so), and /metrics is this agent's own scrape, so probes would
// turn a starting node into "API errors" or dilute real ones.
//
// Errors: unreachable node, non-200 status, or a parse error "line N: ..." naming the URL.
#pragma once

#include <map>
#include <string>

#include "agent/node_http_client.h"
#include "agent/source.h"

namespace guts::agent {

class NodeMetricsSource : public Source {
 public:
  explicit NodeMetricsSource(std::string base_url);

  std::string_view name() const override { return "node_metrics"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

  // The derivation alone, for a body already fetched (tests feed recorded scrapes).
  absl::Status Observe(absl::string_view body, v1::NodeMetrics& metrics);

 private:
  std::string base_url_;
  NodeHttpClient http_;
  // Previous scrape: request counters and the histogram's cumulative buckets by upper bound.
  double prev_total_ = 0, prev_5xx_ = 0;          // all paths (restart detection)
  double prev_api_total_ = 0, prev_api_5xx_ = 0;  // API paths (the 5xx ratio)
  std::map<double, double> prev_buckets_;
};

}  // namespace guts::agent
