#include "agent/metrics_text.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

TEST(MetricsTextTest, ParsesRecordedOpenMetricsScrapeUpToEof) {
  absl::StatusOr<std::vector<MetricSample>> samples =
      ParseMetricsText(testing::ReadFixture("metrics_scrape1.txt"));
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 18u);
  EXPECT_EQ((*samples)[0].name, "guts_http_requests_total");
  EXPECT_EQ((*samples)[0].Label("path"), "/health");
  EXPECT_EQ((*samples)[0].value, 100);
  EXPECT_EQ((*samples)[6].Label("le"), "+Inf");
}

TEST(MetricsTextTest, UnescapesLabelValuesAndReadsSpecialValues) {
  absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(
      "m{a=\"quote \\\" back \\\\ nl \\n end\",b=\"x,y}\"} +Inf 1700000000000\n"
      "n NaN\nk -Inf\nj 1.5e3 # {trace_id=\"abc\"} 1.0\n");
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 4u);
  EXPECT_EQ((*samples)[0].Label("a"), "quote \" back \\ nl \n end");
  EXPECT_EQ((*samples)[0].Label("b"), "x,y}");
  EXPECT_TRUE(std::isinf((*samples)[0].value));
  EXPECT_TRUE(std::isnan((*samples)[1].value));
  EXPECT_EQ((*samples)[3].value, 1500);
}

TEST(MetricsTextTest, AcceptsPlainPrometheusTextWithoutEof) {
  absl::StatusOr<std::vector<MetricSample>> samples =
      ParseMetricsText("# TYPE a counter\na_total 3\n\n  b{x=\"1\"} 4\r\n");
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(samples->size(), 2u);
}

struct Malformed {
  const char* text;
  const char* error;
};

void PrintTo(const Malformed& m, std::ostream* os) { *os << m.text; }

class MalformedMetricsTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedMetricsTest, FailsWithTheLineNumber) {
  absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(GetParam().text);
  ASSERT_FALSE(samples.ok());
  EXPECT_EQ(samples.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(samples.status().message().find(GetParam().error), std::string::npos)
      << samples.status();
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, MalformedMetricsTest,
    ::testing::Values(Malformed{"ok 1\nbad{a=\"1\" 2\n",
                                "line 2: ',' or '}' expected after label a"},
                      Malformed{"ok 1\nok 2\nbad{a=\"1\",", "line 3: label set not closed"},
                      Malformed{"m{a=\"1} 2\n", "line 1: label a value not closed"},
                      Malformed{"m{a=1} 2\n", "line 1: '\"' expected for label a"},
                      Malformed{"m{a=\"\\q\"} 2\n", "line 1: bad escape"},
                      Malformed{"m abc\n", "line 1: 'abc' is not a number"},
                      Malformed{"m\n", "line 1: value missing"},
                      Malformed{"9m 1\n", "line 1: metric name expected"},
                      Malformed{"m 1 2 3\n", "line 1: unexpected text"},
                      Malformed{"m 1\n# EOF\nn 2\n", "line 3: content after '# EOF'"},
                      Malformed{"m{=\"x\"} 1\n", "line 1: label name expected"},
                      Malformed{"m 1 notatime\n", "line 1: 'notatime' is not a timestamp"}));

TEST(MetricsTextTest, SurvivesArbitraryBytes) {
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 131 + 7) % 256));
  absl::StatusOr<std::vector<MetricSample>> samples = ParseMetricsText(noise);
  EXPECT_FALSE(samples.ok());
}

}  // namespace
}  // namespace guts::agent
