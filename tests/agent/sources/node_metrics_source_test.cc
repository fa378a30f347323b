#include "agent/sources/node_metrics_source.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

TEST(NodeMetricsSourceTest, FirstScrapeCoversUptimeAndKeepsGutsSeriesOnly) {
  NodeMetricsSource source("http://127.0.0.1:1");
  v1::NodeMetrics metrics;
  ASSERT_TRUE(source.Observe(testing::ReadFixture("metrics_scrape1.txt"), metrics).ok());
  EXPECT_EQ(metrics.http_requests_total(), 150);
  EXPECT_EQ(metrics.http_5xx_total(), 0);
  EXPECT_EQ(metrics.http_5xx_ratio(), 0);
  EXPECT_EQ(metrics.http_active_connections(), 2);
  // 150 requests, 140 under 5 ms: p99 (rank 148.5) lies in the 5-50 ms bucket.
  EXPECT_GT(metrics.http_p99_seconds(), 0.005);
  EXPECT_LT(metrics.http_p99_seconds(), 0.05);
  EXPECT_TRUE(metrics.series().contains("guts_p2p_peers_connected"));
  for (const auto& [key, value] : metrics.series()) {
    EXPECT_TRUE(key.starts_with("guts_")) << key;
    EXPECT_EQ(key.find("_bucket"), std::string::npos) << key;
  }
}

TEST(NodeMetricsSourceTest, RatioAndP99ComeFromTheDeltaBetweenScrapes) {
  NodeMetricsSource source("http://127.0.0.1:1");
  v1::NodeMetrics first, second;
  ASSERT_TRUE(source.Observe(testing::ReadFixture("metrics_scrape1.txt"), first).ok());
  ASSERT_TRUE(source.Observe(testing::ReadFixture("metrics_scrape2.txt"), second).ok());
  // Between the scrapes: 80 more /health (all 200, 50-500 ms), 30 more consensus status (200,
  // under 5 ms) and 20 POSTs that failed 500 (all above 500 ms). The ratio is over the 50 API
  // requests; the health probes are not API traffic.
  EXPECT_DOUBLE_EQ(second.http_5xx_ratio(), 20.0 / 50.0);
  EXPECT_EQ(second.http_5xx_total(), 20);
  EXPECT_EQ(second.http_requests_total(), 280);
  // 130 requests in the delta: rank 128.7 falls in +Inf, reported as the highest finite bound.
  EXPECT_DOUBLE_EQ(second.http_p99_seconds(), 0.5);
}

TEST(NodeMetricsSourceTest, NotReadyNodeAnsweringItsProbes503HasNoApiErrors) {
  NodeMetricsSource source("http://127.0.0.1:1");
  v1::NodeMetrics first, second;
  // Starting up: every readiness probe got 503, the agent's own consensus calls got 200.
  ASSERT_TRUE(
      source
          .Observe("guts_http_requests_total{path=\"/health/ready\",status=\"503\"} 6\n"
                   "guts_http_requests_total{path=\"/health\",status=\"503\"} 6\n"
                   "guts_http_requests_total{path=\"/metrics\",status=\"200\"} 6\n"
                   "guts_http_requests_total{path=\"/api/consensus/status\",status=\"200\"} "
                   "6\n",
                   first)
          .ok());
  EXPECT_EQ(first.http_5xx_total(), 12);
  EXPECT_EQ(first.http_5xx_ratio(), 0);
  // Then one consensus call fails: 1 of the 4 API requests since.
  ASSERT_TRUE(
      source
          .Observe("guts_http_requests_total{path=\"/health/ready\",status=\"503\"} 10\n"
                   "guts_http_requests_total{path=\"/health\",status=\"503\"} 10\n"
                   "guts_http_requests_total{path=\"/metrics\",status=\"200\"} 10\n"
                   "guts_http_requests_total{path=\"/api/consensus/status\",status=\"200\"} "
                   "9\n"
                   "guts_http_requests_total{path=\"/api/consensus/status\",status=\"500\"} "
                   "1\n",
                   second)
          .ok());
  EXPECT_DOUBLE_EQ(second.http_5xx_ratio(), 1.0 / 4.0);
}

TEST(NodeMetricsSourceTest, NoRequestsBetweenScrapesGivesNoP99) {
  NodeMetricsSource source("http://127.0.0.1:1");
  v1::NodeMetrics first, second;
  std::string scrape = testing::ReadFixture("metrics_scrape1.txt");
  ASSERT_TRUE(source.Observe(scrape, first).ok());
  ASSERT_TRUE(source.Observe(scrape, second).ok());
  EXPECT_LT(second.http_p99_seconds(), 0);
  EXPECT_EQ(second.http_5xx_ratio(), 0);
}

TEST(NodeMetricsSourceTest, MalformedScrapeIsAnErrorWithLineNumber) {
  NodeMetricsSource source("http://127.0.0.1:1");
  v1::NodeMetrics metrics;
  absl::Status s = source.Observe("guts_a 1\nguts_b{x=\"1\" 2\n", metrics);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s;
}

TEST(NodeMetricsSourceTest, UnreachableNodeIsASourceErrorNamingTheUrl) {
  NodeMetricsSource source("http://127.0.0.1:1");
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(1), part);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("http://127.0.0.1:1/metrics"), std::string::npos) << s;
}

}  // namespace
}  // namespace guts::agent
