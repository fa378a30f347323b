// The per-agent snapshot rate limit on its own, with the clock in the test's hands.
#include "collector/ingest/agent_rate_limit.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// How many snapshots of `node` pass at `now` before the first refusal (at most `up_to`).
int Admitted(AgentRateLimit& limit, const std::string& node, absl::Time now, int up_to = 100000) {
  for (int i = 0; i < up_to; ++i) {
    if (!limit.Admit(node, now).ok()) return i;
  }
  return up_to;
}

TEST(AgentRateLimitTest, FloodBeyondTheBurstIsRefusedThenTheRateRefillsIt) {
  AgentRateLimit limit({.per_second = 20, .burst = 200});
  EXPECT_EQ(Admitted(limit, "v1", kStart), 200);
  absl::Status refused = limit.Admit("v1", kStart);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("node v1"), std::string::npos) << refused;
  EXPECT_NE(refused.message().find("20 per second"), std::string::npos) << refused;
  EXPECT_EQ(Admitted(limit, "v1", kStart + absl::Seconds(1)), 20);
  EXPECT_EQ(Admitted(limit, "v1", kStart + absl::Seconds(1) + absl::Milliseconds(500)), 10);
  // An idle node earns back its burst, not more.
  EXPECT_EQ(Admitted(limit, "v1", kStart + absl::Hours(1)), 200);
}

TEST(AgentRateLimitTest, EachNodeHasItsOwnBucket) {
  AgentRateLimit limit({.per_second = 20, .burst = 50});
  EXPECT_EQ(Admitted(limit, "v1", kStart), 50);
  EXPECT_EQ(Admitted(limit, "v2", kStart), 50);
}

TEST(AgentRateLimitTest, SpoolReplayOfAnHourPassesWholeAndLeavesTheBurstForLiveSnapshots) {
  AgentRateLimit limit({.per_second = 20, .burst = 200});
  EXPECT_EQ(Admitted(limit, "v3", kStart - absl::Hours(1), 5), 5);
  // Silent for an hour while the agent spooled one snapshot a second; the bucket had 195 left.
  limit.Connected("v3", 3600, kStart - absl::Hours(1), kStart);
  EXPECT_EQ(Admitted(limit, "v3", kStart, 3600), 3600);
  // The live snapshots right behind the replay find the level the bucket had, not nothing.
  EXPECT_EQ(Admitted(limit, "v3", kStart), 195);
  EXPECT_EQ(Admitted(limit, "v3", kStart + absl::Seconds(1)), 20);
}

TEST(AgentRateLimitTest, ReplayCreditOutlivesAStreamThatBrokeMidReplay) {
  AgentRateLimit limit({.per_second = 20, .burst = 200});
  limit.Connected("v3", 3600, kStart - absl::Hours(1), kStart);
  EXPECT_EQ(Admitted(limit, "v3", kStart, 1000), 1000);
  // Reconnected a second later: the rest is still owed, although the node was just stored.
  limit.Connected("v3", 2600, kStart, kStart + absl::Seconds(1));
  EXPECT_EQ(Admitted(limit, "v3", kStart + absl::Seconds(1), 2600), 2600);
}

TEST(AgentRateLimitTest, ClaimedBacklogIsBoundedByTheRateOverTheNodesSilence) {
  AgentRateLimit limit({.per_second = 20, .burst = 200});
  limit.Connected("v4", 1'000'000, kStart - absl::Minutes(1), kStart);
  // The burst, plus 20/s over the 60 s of silence, whatever was claimed.
  EXPECT_EQ(Admitted(limit, "v4", kStart), 200 + 1200);
}

TEST(AgentRateLimitTest, ReconnectingDoesNotRefillTheBucket) {
  AgentRateLimit limit({.per_second = 20, .burst = 200});
  EXPECT_EQ(Admitted(limit, "v5", kStart), 200);
  for (int i = 1; i <= 10; ++i) {
    absl::Time now = kStart + i * absl::Milliseconds(100);
    limit.Connected("v5", 5000, now - absl::Milliseconds(100), now);
    EXPECT_EQ(Admitted(limit, "v5", now), 2) << "reconnect " << i;
  }
}

TEST(AgentRateLimitTest, ZeroBurstStillLetsTheRateThrough) {
  AgentRateLimit limit({.per_second = 2, .burst = 0});
  EXPECT_EQ(Admitted(limit, "v6", kStart), 1);
  EXPECT_EQ(Admitted(limit, "v6", kStart + absl::Milliseconds(500)), 1);
}

TEST(AgentRateLimitTest, ZeroRateIsNoLimit) {
  AgentRateLimit limit({.per_second = 0, .burst = 0});
  EXPECT_FALSE(limit.enabled());
  EXPECT_EQ(Admitted(limit, "v6", kStart, 100000), 100000);
}

TEST(AgentRateLimitTest, RefusalLogLinesComeOncePerIntervalAndCountTheRest) {
  AgentRateLimit limit({.per_second = 1, .burst = 1, .log_every = absl::Seconds(10)});
  EXPECT_EQ(limit.RefusalsToLog("v7", kStart), 1u);
  EXPECT_EQ(limit.RefusalsToLog("v7", kStart + absl::Seconds(1)), 0u);
  EXPECT_EQ(limit.RefusalsToLog("v7", kStart + absl::Seconds(2)), 0u);
  EXPECT_EQ(limit.RefusalsToLog("v8", kStart + absl::Seconds(2)), 1u);  // another node
  EXPECT_EQ(limit.RefusalsToLog("v7", kStart + absl::Seconds(11)), 3u);
  EXPECT_EQ(limit.RefusalsToLog("v7", kStart + absl::Seconds(12)), 0u);
}

}  // namespace
}  // namespace guts::collector
