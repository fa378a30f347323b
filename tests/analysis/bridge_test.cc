// A partial partition: two groups that reach each other only through a bridge node. The
// topology names the groups, the bridge and every cut link; each member's WHY names the bridge;
// the severity rises to P1 when finality throughput collapses against its own recent rate even
// though a block still trickles through.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/analysis/analyzer.h"
#include "collector/analysis/finality_throughput.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BridgeTest : public ::testing::Test {
 protected:
  void CutAroundV4() { fleet.Cut({"v1", "v2", "v3"}, {"v5", "v6", "v7"}); }
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet{7};
  Timeline warmup;
  Timeline t;
};

TEST_F(BridgeTest, TopologyNamesTheGroupsTheBridgeAndEveryCutLink) {
  RunTicks(analyzer, fleet, 20, warmup);
  CutAroundV4();
  RunTicks(analyzer, fleet, 6, t);
  const v1::Topology& topo = t.last.topology;
  ASSERT_EQ(topo.components_size(), 1);
  ASSERT_EQ(topo.bridged_groups_size(), 2);
  EXPECT_THAT(topo.bridged_groups(0).nodes(), ElementsAre("v1", "v2", "v3"));
  EXPECT_THAT(topo.bridged_groups(1).nodes(), ElementsAre("v5", "v6", "v7"));
  EXPECT_THAT(topo.bridges(), ElementsAre("v4"));
  EXPECT_EQ(topo.cut_edges_size(), 9);
  ASSERT_EQ(t.Ever(v1::PARTIAL_PARTITION).size(), 1u);
  v1::Incident inc = t.Ever(v1::PARTIAL_PARTITION)[0];
  EXPECT_EQ(inc.links_size(), 9);
  EXPECT_EQ(inc.evidence().at("cut links"), "9");
}

TEST_F(BridgeTest, EachMembersWhyNamesTheBridge) {
  RunTicks(analyzer, fleet, 20, warmup);
  CutAroundV4();
  RunTicks(analyzer, fleet, 6, t);
  EXPECT_THAT(t.last.nodes.at("v1").reason,
              HasSubstr("group 1 of 2, reaches the others only through bridge v4"));
  EXPECT_THAT(t.last.nodes.at("v6").reason, HasSubstr("only through bridge v4"));
  EXPECT_THAT(t.last.nodes.at("v4").reason, HasSubstr("bridge: the only link between"));
  EXPECT_EQ(t.last.nodes.at("v6").state, v1::DEGRADED);
}

TEST_F(BridgeTest, FinalityTricklingBelowATenthOfItsRateIsP1) {
  RunTicks(analyzer, fleet, 70, warmup);  // a minute at a block a second: the baseline
  CutAroundV4();
  fleet.SetAllRates(0.08);  // a block every 12.5 s: never 15 s without one
  RunTicks(analyzer, fleet, 25, t);
  ASSERT_EQ(t.Ever(v1::PARTIAL_PARTITION).size(), 1u);
  v1::Incident inc = t.Ever(v1::PARTIAL_PARTITION)[0];
  EXPECT_EQ(inc.severity(), v1::P1) << inc.summary();
  EXPECT_THAT(inc.summary(), HasSubstr("finality collapsed"));
  EXPECT_THAT(inc.evidence().at("finality throughput"), HasSubstr("since the partition began"));
}

TEST_F(BridgeTest, FinalityAtHalfItsRateStaysP2) {
  RunTicks(analyzer, fleet, 70, warmup);
  CutAroundV4();
  fleet.SetAllRates(0.5);
  RunTicks(analyzer, fleet, 25, t);
  ASSERT_EQ(t.Ever(v1::PARTIAL_PARTITION).size(), 1u);
  EXPECT_EQ(t.Ever(v1::PARTIAL_PARTITION)[0].severity(), v1::P2);
}

TEST(FinalityThroughputTest, NoBaselineBeforeHalfTheWindowSoNothingCollapses) {
  AnalysisConfig config = TestConfig();
  FinalityThroughput throughput;
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  for (int i = 0; i < 10; ++i) throughput.Record(now += absl::Seconds(1), 100 + i, config);
  for (int i = 0; i < 30; ++i) {
    throughput.Record(now += absl::Seconds(1), 110, config);
    EXPECT_FALSE(throughput.Collapsed(now, true, config));
  }
  EXPECT_FALSE(throughput.baseline().has_value());
}

}  // namespace
}  // namespace guts::collector::testing
