// Fuzzes the node_metrics source's reading of /metrics: the Prometheus/OpenMetrics text parser
// and the derivations between two scrapes (5xx ratio, p99 from histogram bucket deltas).
// Input: one scrape, or two separated by "\n#--\n".
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/metrics_text.h"
#include "agent/sources/node_metrics_source.h"
#include "fuzz/fake_node_http_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> scrapes =
      guts::fuzz::SplitPieces(reinterpret_cast<const char*>(data), size);
  (void)guts::agent::ParseMetricsText(scrapes.front());
  guts::agent::NodeMetricsSource source("http://127.0.0.11:8080");
  for (const std::string& scrape : scrapes) {
    guts::diag::v1::NodeMetrics metrics;
    (void)source.Observe(scrape, metrics);
    (void)metrics.ByteSizeLong();
  }
  return 0;
}
