#include "sim/scenario_file.h"

#include <gtest/gtest.h>

namespace guts::sim {
namespace {

TEST(ScenarioFileTest, TimelineParsesInOrderSkippingCommentsAndBlankLines) {
  absl::StatusOr<Scenario> s =
      ParseScenario("# S02\n\n10s partition v1,v2,v3,v4,v5|v6,v7\n  1m10s heal\n", "s02.txt", 7);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].at, absl::Seconds(10));
  EXPECT_EQ((*s)[0].line, 3);
  EXPECT_EQ((*s)[0].command.kind, FaultKind::kPartition);
  EXPECT_EQ((*s)[1].at, absl::Seconds(70));
  EXPECT_EQ((*s)[1].command.kind, FaultKind::kHeal);
}

TEST(ScenarioFileTest, BadLinesAreNamedByFileAndLine) {
  auto error = [](const char* text) {
    absl::StatusOr<Scenario> s = ParseScenario(text, "bad.txt", 7);
    return s.ok() ? std::string("ok") : std::string(s.status().message());
  };
  EXPECT_EQ(error("10s heal\nsoon heal\n").rfind("bad.txt:2: expected a time", 0), 0u);
  EXPECT_EQ(error("# c\n10s partiton v1|v2\n").rfind("bad.txt:2: unknown command 'partiton'", 0),
            0u);
  EXPECT_EQ(error("10s kill v9\n").rfind("bad.txt:1: unknown node 'v9'", 0), 0u);
  EXPECT_EQ(error("20s heal\n10s heal\n").rfind("bad.txt:2: time 10s is earlier", 0), 0u);
  EXPECT_EQ(error("5s\n").rfind("bad.txt:1: missing a command", 0), 0u);
  EXPECT_EQ(error("5s status\n").rfind("bad.txt:1: 'status' is not a fault", 0), 0u);
}

TEST(ScenarioFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadScenario("/nonexistent/scenario.txt", 7).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace guts::sim
