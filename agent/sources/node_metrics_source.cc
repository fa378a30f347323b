#include "agent/sources/node_metrics_source.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/metrics_text.h"
#include "agent/sources/registry.h"

namespace guts::agent {
namespace {

constexpr size_t kMaxSeries = 200;

std::string SeriesKey(const MetricSample& sample) {
  std::string key = sample.name;
  if (sample.labels.empty()) return key;
  key += "{";
  for (size_t i = 0; i < sample.labels.size(); ++i) {
    absl::StrAppend(&key, i ? "," : "", sample.labels[i].first, "=\"", sample.labels[i].second,
                    "\"");
  }
  return key + "}";
}

// Quantile q of a histogram given as cumulative counts by upper bound (+Inf last).
double Quantile(double q, const std::map<double, double>& cumulative) {
  if (cumulative.empty()) return -1;
  double total = cumulative.rbegin()->second;
  if (total <= 0) return -1;
  double rank = q * total;
  double lower = 0, below = 0, highest_finite = 0;
  for (const auto& [bound, count] : cumulative) {
    if (std::isfinite(bound)) highest_finite = bound;
    if (count >= rank) {
      if (!std::isfinite(bound)) return highest_finite;
      if (count == below) return bound;
      return lower + (bound - lower) * (rank - below) / (count - below);
    }
    lower = bound;
    below = count;
  }
  return highest_finite;
}

// Health and metrics probes, from this agent and the orchestrator: not API traffic.
bool IsProbePath(absl::string_view path) {
  return absl::StartsWith(path, "/health") || path == "/metrics";
}

}  // namespace

NodeMetricsSource::NodeMetricsSource(std::string base_url) : base_url_(std::move(base_url)) {}

absl::Status NodeMetricsSource::Collect(absl::Time deadline, v1::Snapshot& part) {
  std::string url = base_url_ + "/metrics";
  absl::StatusOr<HttpReply> reply =
      http_.Get(url, std::max(absl::Milliseconds(1), deadline - absl::Now()));
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", url, ": HTTP ", reply->status));
  }
  absl::Status s = Observe(reply->body, *part.mutable_metrics());
  if (!s.ok()) {
    part.clear_metrics();
    return absl::Status(s.code(), absl::StrCat("GET ", url, ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status NodeMetricsSource::Observe(absl::string_view body, v1::NodeMetrics& metrics) {
  absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(body);
  if (!samples.ok()) return samples.status();
  double total = 0, errors = 0, api_total = 0, api_errors = 0;
  std::map<double, double> buckets;
  for (const MetricSample& sample : *samples) {
    if (!sample.name.starts_with("guts_")) continue;
    if (sample.name == "guts_http_requests_total") {
      bool failed = sample.Label("status").starts_with("5");
      total += sample.value;
      if (failed) errors += sample.value;
      if (!IsProbePath(sample.Label("path"))) {
        api_total += sample.value;
        if (failed) api_errors += sample.value;
      }
    } else if (sample.name == "guts_http_request_duration_seconds_bucket") {
      double le = 0;
      std::string bound = sample.Label("le");
      if (bound == "+Inf" || bound == "Inf") {
        le = INFINITY;
      } else if (!absl::SimpleAtod(bound, &le)) {
        return absl::InvalidArgumentError(
            absl::StrCat("guts_http_request_duration_seconds_bucket: bad le '", bound, "'"));
      }
      buckets[le] += sample.value;
      continue;
    } else if (sample.name == "guts_http_active_connections") {
      metrics.set_http_active_connections(sample.value);
    }
    if (metrics.series_size() < static_cast<int>(kMaxSeries)) {
      (*metrics.mutable_series())[SeriesKey(sample)] = sample.value;
    }
  }
  metrics.set_http_requests_total(total);
  metrics.set_http_5xx_total(errors);

  // A counter that went down means the node restarted: compare against zero then.
  bool reset = total < prev_total_ || errors < prev_5xx_;
  std::map<double, double> delta;
  for (const auto& [le, count] : buckets) {
    double before = 0;
    if (auto it = prev_buckets_.find(le); it != prev_buckets_.end()) before = it->second;
    if (count < before) reset = true;
    delta[le] = count - before;
  }
  if (reset) delta = buckets;
  double requests = reset ? api_total : api_total - prev_api_total_;
  double failed = reset ? api_errors : api_errors - prev_api_5xx_;
  metrics.set_http_5xx_ratio(requests > 0 ? failed / requests : 0);
  metrics.set_http_p99_seconds(Quantile(0.99, delta));
  prev_total_ = total;
  prev_5xx_ = errors;
  prev_api_total_ = api_total;
  prev_api_5xx_ = api_errors;
  prev_buckets_ = std::move(buckets);
  return absl::OkStatus();
}

GUTS_REGISTER_SOURCE(node_metrics, 30, [](const SourceContext& context) -> std::unique_ptr<Source> {
  return std::make_unique<NodeMetricsSource>(context.config.node_api);
});

}  // namespace guts::agent
