// Silence that is the collector's, not the nodes': every agent silent at once, the collector's
// own clock standing still, and (for contrast) the same silences judged when it is not blind.
#include "collector/analysis/collector_blindness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CollectorBlindnessTest : public ::testing::TestWithParam<bool> {
 protected:
  void Warm() { RunTicks(analyzer, fleet, 20, warmup); }
  void Run(int ticks) { RunTicks(analyzer, fleet, ticks, t); }

  SyntheticFleet::ModeScope mode{GetParam()};
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet{7};
  Timeline warmup;
  Timeline t;
};

TEST_P(CollectorBlindnessTest, EveryAgentSilentAtOnceIsOneCollectorIncidentNotSevenNodesDown) {
  Warm();
  for (const std::string& node : fleet.Names(1, 7)) fleet.AgentCutFromCollector(node, true);
  Run(30);
  v1::Incident inc = Only(t, v1::COLLECTOR_DEGRADED);
  EXPECT_EQ(inc.severity(), v1::P2);
  EXPECT_THAT(inc.summary(), HasSubstr("hears none of its 7 agents"));
  EXPECT_TRUE(t.Ever(v1::NODE_DOWN).empty());
  EXPECT_EQ(t.last.nodes.at("v3").state, v1::UNKNOWN);
  EXPECT_THAT(t.last.nodes.at("v3").reason, HasSubstr("silence not judged"));
  // The agents come back: the collector's incident clears and nothing else ever opened.
  for (const std::string& node : fleet.Names(1, 7)) fleet.AgentCutFromCollector(node, false);
  Run(10);
  EXPECT_TRUE(t.last.open_incidents.empty());
  EXPECT_EQ(t.KindsEver(), std::set<v1::IncidentKind>{v1::COLLECTOR_DEGRADED});
}

TEST_P(CollectorBlindnessTest, OneNodeStillHeardMakesTheRestsSilenceCountAgain) {
  // The contrast: six killed and one still reporting is six nodes down, not a blind collector.
  Warm();
  for (const std::string& node : fleet.Names(2, 7)) fleet.Kill(node);
  Run(10);
  EXPECT_TRUE(t.Ever(v1::COLLECTOR_DEGRADED).empty());
  EXPECT_FALSE(t.Ever(v1::NODE_DOWN).empty());
}

TEST_P(CollectorBlindnessTest, SilenceAcrossTheCollectorsOwnPauseIsHeldUntilSnapshotsSettle) {
  Warm();
  // A real death, but during six seconds in which the collector ran no tick: it finds the
  // silence only as it wakes.
  fleet.Kill("v4");
  for (int i = 0; i < 6; ++i) fleet.Step();
  fleet.SetCollectorPause(absl::Seconds(6));
  Run(1);
  EXPECT_TRUE(t.Ever(v1::NODE_DOWN).empty());
  EXPECT_EQ(t.last.nodes.at("v4").state, v1::UNKNOWN);
  EXPECT_THAT(t.last.nodes.at("v4").reason, HasSubstr("stood still for 6.0 s"));
  // A pause alone is no incident: the next snapshots settle it.
  EXPECT_TRUE(t.Ever(v1::COLLECTOR_DEGRADED).empty());
  // Three intervals later the silence is judged again, and the death is found.
  Run(10);
  v1::Incident inc = Only(t, v1::NODE_DOWN);
  EXPECT_THAT(NodesOf(inc), ElementsAre("v4"));
  EXPECT_GE(t.opened_at_tick.begin()->second, 3);
}

TEST(CollectorBlindnessOfTest, NamesEachCauseAndOnlyIncidentWorthyOnesAreDegraded) {
  AnalysisConfig config = TestConfig();
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  CollectorHealth health;
  EXPECT_FALSE(CollectorBlindnessOf(health, now, 7, 7, config).blind);
  // One node alone is judged as before.
  EXPECT_FALSE(CollectorBlindnessOf(health, now, 0, 1, config).blind);
  CollectorBlindness none = CollectorBlindnessOf(health, now, 0, 2, config);
  EXPECT_TRUE(none.blind && none.degraded);
  health.pause = absl::Seconds(2);
  health.pause_ended = now - 2 * config.default_interval;
  CollectorBlindness paused = CollectorBlindnessOf(health, now, 7, 7, config);
  EXPECT_TRUE(paused.blind);
  EXPECT_FALSE(paused.degraded);
  health.pause_ended = now - 3 * config.default_interval;
  EXPECT_FALSE(CollectorBlindnessOf(health, now, 7, 7, config).blind);
  health.overloaded = true;
  health.ingest_lag = absl::Seconds(12);
  CollectorBlindness lagging = CollectorBlindnessOf(health, now, 7, 7, config);
  EXPECT_TRUE(lagging.degraded);
  EXPECT_EQ(lagging.why, "collector ingest lags 12.0 s");
}

INSTANTIATE_TEST_SUITE_P(BothModes, CollectorBlindnessTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Simplex" : "Simulation"; });

}  // namespace
}  // namespace guts::collector::testing
