#include "sim/http_metrics.h"

#include <gtest/gtest.h>

namespace guts::sim {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(HttpMetricsTest, OpenMetricsTextHasTheMovingSeriesAndEndsWithEof) {
  HttpMetrics m;
  m.ConnectionOpened();
  m.RecordRequest("GET", "/health", 200, absl::Milliseconds(3));
  m.RecordRequest("GET", "/health", 200, absl::Milliseconds(300));
  m.RecordRequest("GET", "/api/consensus/status", 503, absl::Milliseconds(1));
  std::string text = m.Render();
  EXPECT_TRUE(Contains(
      text, "guts_http_requests_total{method=\"GET\",path=\"/health\",status=\"200\"} 2\n"));
  EXPECT_TRUE(Contains(text, "status=\"503\"} 1\n"));
  EXPECT_TRUE(Contains(text,
                       "guts_http_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",path="
                       "\"/health\"} 1\n"));
  EXPECT_TRUE(Contains(text,
                       "guts_http_request_duration_seconds_bucket{le=\"+Inf\",method=\"GET\",path="
                       "\"/health\"} 2\n"));
  EXPECT_TRUE(Contains(text, "guts_http_active_connections 1\n"));
  EXPECT_TRUE(Contains(text, "guts_p2p_peers_connected 0\n"));
  EXPECT_TRUE(Contains(text, "# TYPE guts_p2p_messages counter\n"));
  EXPECT_TRUE(text.size() >= 6 && text.substr(text.size() - 6) == "# EOF\n");
}

TEST(HttpMetricsTest, RestartStartsFromEmptyCounters) {
  HttpMetrics m;
  m.RecordRequest("GET", "/health", 200, absl::Milliseconds(3));
  m.Reset();
  EXPECT_FALSE(Contains(m.Render(), "guts_http_requests_total{"));
}

}  // namespace
}  // namespace guts::sim
