#include "agent/log_facts.h"

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

namespace v1 = ::guts::diag::v1;

v1::LogFacts Feed(const std::string& fixture, absl::Time now) {
  LogFactsBuilder builder;
  for (absl::string_view line : absl::StrSplit(testing::ReadFixture(fixture), '\n')) {
    builder.Observe(line, now);
  }
  v1::LogFacts facts;
  builder.Fill(now, facts);
  return facts;
}

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

TEST(LogFactsTest, JsonLogGivesHeightItsAgeAndErrorsByKind) {
  v1::LogFacts facts = Feed("node_log_json.log", At("2026-11-30T02:00:13Z"));
  EXPECT_EQ(facts.finalized_height(), 42u);
  EXPECT_EQ(facts.finalized_block_id(), "aa42");
  EXPECT_EQ(facts.finalized_age_ms(), 10000);  // the line's own time, not when it was read
  EXPECT_EQ(facts.errors_by_kind().at("consensus_engine_error"), 1u);
  EXPECT_EQ(facts.errors_by_kind().at("api_error"), 1u);
  EXPECT_EQ(facts.errors_by_kind().at("corruption"), 1u);
  EXPECT_EQ(facts.errors_by_kind().at("equivocation"), 1u);
  EXPECT_EQ(facts.corruption_lines(), 1u);
  EXPECT_EQ(facts.byzantine_lines(), 1u);
  EXPECT_EQ(facts.error_lines(), 3u);
  EXPECT_EQ(facts.warning_lines(), 3u);  // config fallback, conflicting, slow disk
  EXPECT_TRUE(facts.config_fallback());
  EXPECT_EQ(facts.starts_seen(), 1u);
  EXPECT_FALSE(facts.stopped());
  EXPECT_EQ(facts.lines_unparsed(), 1u);
  ASSERT_EQ(facts.recent_errors_size(), 3);
  EXPECT_EQ(facts.recent_errors(2), "corruption detected in pack");
}

// Sidecar mode: the agent reads the kubelet's copy of the node's stdout, where every line
// carries a CRI prefix and long lines come in parts (tag P) ended by a full one (tag F).
TEST(LogFactsTest, KubeletContainerLogGivesTheSameFactsAsTheNodesOwnLog) {
  const absl::Time now = At("2026-11-30T02:00:13Z");
  LogFactsBuilder builder;
  for (absl::string_view line :
       absl::StrSplit(testing::ReadFixture("node_log_json.log"), '\n', absl::SkipEmpty())) {
    const std::string prefix = "2026-11-30T02:00:13.123456789Z stdout ";
    if (line.size() > 40) {
      // Split long lines into three records, the way the kubelet does past its 16 KiB buffer.
      size_t third = line.size() / 3;
      builder.Observe(prefix + "P " + std::string(line.substr(0, third)), now);
      builder.Observe(prefix + "P " + std::string(line.substr(third, third)), now);
      builder.Observe(prefix + "F " + std::string(line.substr(2 * third)), now);
    } else {
      builder.Observe(prefix + "F " + std::string(line), now);
    }
  }
  v1::LogFacts cri;
  builder.Fill(now, cri);
  v1::LogFacts own = Feed("node_log_json.log", now);
  EXPECT_EQ(cri.finalized_height(), 42u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(cri, own))
      << cri.DebugString() << "\nvs the node's own log:\n"
      << own.DebugString();
}

TEST(LogFactsTest, CriPartsBeyondTheCapAreOneUnparsedLine) {
  const absl::Time now = At("2026-11-30T02:00:13Z");
  LogFactsBuilder builder;
  const std::string part = "2026-11-30T02:00:13Z stdout P " + std::string(64 * 1024, 'x');
  for (int i = 0; i < 20; ++i) builder.Observe(part, now);  // 1.25 MiB: over the cap
  builder.Observe("2026-11-30T02:00:13Z stdout F tail", now);
  builder.Observe(
      "2026-11-30T02:00:13Z stdout F "
      R"({"timestamp":"2026-11-30T02:00:12Z","level":"INFO","fields":{"message":"finalized block","height":7}})",
      now);
  v1::LogFacts facts;
  builder.Fill(now, facts);
  EXPECT_EQ(facts.lines_unparsed(), 1u);
  EXPECT_EQ(facts.finalized_height(), 7u);  // the line after the oversized one is read whole
}

TEST(LogFactsTest, PrettyAndFullTextFormatsGiveTheSameFacts) {
  v1::LogFacts facts = Feed("node_log_pretty.log", At("2026-11-30T02:10:06Z"));
  EXPECT_EQ(facts.finalized_height(), 78u);
  EXPECT_EQ(facts.finalized_block_id(), "bb78");
  EXPECT_EQ(facts.finalized_age_ms(), 2000);
  EXPECT_EQ(facts.errors_by_kind().at("bind_failed"), 1u);
  EXPECT_EQ(facts.starts_seen(), 1u);
  EXPECT_TRUE(facts.stopped());
  EXPECT_FALSE(facts.config_fallback());
  EXPECT_EQ(facts.lines_unparsed(), 0u);  // "at ..." and "in ..." continuation lines
}

TEST(LogFactsTest, RestartWithAGoodConfigClearsTheFallback) {
  LogFactsBuilder builder;
  absl::Time now = absl::Now();
  builder.Observe("Warning: Failed to load config file x.yaml. Using defaults.", now);
  builder.Observe(R"({"level":"INFO","fields":{"message":"Starting Guts node"}})", now);
  v1::LogFacts facts;
  builder.Fill(now, facts);
  EXPECT_TRUE(facts.config_fallback());
  builder.Observe(R"({"level":"INFO","fields":{"message":"Guts node stopped"}})", now);
  builder.Observe(R"({"level":"INFO","fields":{"message":"Starting Guts node"}})", now);
  facts.Clear();
  builder.Fill(now, facts);
  EXPECT_FALSE(facts.config_fallback());
  EXPECT_EQ(facts.starts_seen(), 2u);
  EXPECT_FALSE(facts.stopped());
}

TEST(LogFactsTest, LowerHeightAfterAHigherOneDoesNotMoveTheHeightBack) {
  LogFactsBuilder builder;
  absl::Time now = absl::Now();
  builder.Observe(R"({"level":"INFO","fields":{"message":"finalized block","height":"9"}})", now);
  builder.Observe(R"({"level":"INFO","fields":{"message":"finalized block","height":5}})", now);
  v1::LogFacts facts;
  builder.Fill(now, facts);
  EXPECT_EQ(facts.finalized_height(), 9u);
}

}  // namespace
}  // namespace guts::agent
