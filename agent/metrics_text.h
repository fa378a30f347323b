// A parser for the Prometheus text exposition format and OpenMetrics text (`# EOF`, `_total`,
// `_created`, histograms, escaped label values, timestamps, exemplars).
//
// Example:
//   absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(body);
//   for (const MetricSample& s : *samples) if (s.name == "guts_http_requests_total") ...
//
// Errors: INVALID_ARGUMENT "line N: <what>" for the first malformed line (bad name, unclosed
// label set, bad escape, unparsable value, content after `# EOF`). Never crashes on any input.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace guts::agent {

struct MetricSample {
  std::string name;                                         // e.g. "guts_http_requests_total"
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped, in input order
  double value = 0;

  // The label's value, or "" when absent.
  std::string Label(absl::string_view key) const;
};

absl::StatusOr<std::vector<MetricSample>> ParseMetricsText(absl::string_view text);

}  // namespace guts::agent
