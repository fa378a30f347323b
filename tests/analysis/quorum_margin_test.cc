// Quorum margin with uneven weights: who counts as lost, which validator's loss would halt the
// chain, and the QUORUM_AT_RISK it raises.
#include "collector/analysis/quorum_margin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;

QuorumMargin MarginOf(SyntheticFleet& fleet) {
  fleet.Step();
  FleetView view = fleet.View();
  FleetModel model = BuildFleetModel(view, TestConfig());
  return ComputeQuorumMargin(model, BuildPeerGraph(model));
}

TEST(QuorumMarginTest, HeavyValidatorAboveTheMarginHaltsTheChainWithEveryoneUp) {
  SyntheticFleet fleet(4);
  fleet.SetWeights({100, 100, 100, 300});
  for (int i = 0; i < 5; ++i) fleet.Step();
  QuorumMargin m = MarginOf(fleet);
  EXPECT_EQ(m.up_weight, 600u);
  EXPECT_EQ(m.quorum_weight, 400u);
  EXPECT_EQ(m.margin, 200);
  EXPECT_EQ(m.heaviest, "v4");
  EXPECT_TRUE(m.one_loss_halts);
  EXPECT_EQ(QuorumMarginText(m),
            "up 600 of 600, quorum 400, margin 200: losing v4 (300) halts "
            "the chain");
}

TEST(QuorumMarginTest, EqualWeightsOfSevenLoseAnyOne) {
  SyntheticFleet fleet(7);
  for (int i = 0; i < 5; ++i) fleet.Step();
  QuorumMargin m = MarginOf(fleet);
  EXPECT_EQ(m.margin, 700 - 467);
  EXPECT_FALSE(m.one_loss_halts);
  EXPECT_EQ(m.heaviest, "v1");  // first by name among equals
  EXPECT_EQ(QuorumMarginText(m),
            "up 700 of 700, quorum 467, margin 233: any one validator can be lost (heaviest v1, "
            "100)");
}

TEST(QuorumMarginTest, IsolatedAndDownValidatorsCountAsLostButCollectorOnlySilenceDoesNot) {
  SyntheticFleet fleet(7);
  fleet.SetWeights({100, 100, 100, 100, 100, 150, 50});
  for (int i = 0; i < 5; ++i) fleet.Step();
  fleet.Isolate("v2");
  fleet.Kill("v5");
  fleet.AgentCutFromCollector("v7", true);  // peers still hear it: it still votes
  for (int i = 0; i < 15; ++i) fleet.Step();
  QuorumMargin m = MarginOf(fleet);
  EXPECT_THAT(m.lost, ElementsAre("v2", "v5"));
  EXPECT_EQ(m.up_weight, 500u);
  EXPECT_EQ(m.quorum_weight, 467u);
  EXPECT_EQ(m.heaviest, "v6");
  EXPECT_TRUE(m.one_loss_halts);
}

TEST(QuorumMarginTest, SplitWithoutAQuorumSideIsHalted) {
  SyntheticFleet fleet(7);
  for (int i = 0; i < 5; ++i) fleet.Step();
  fleet.Cut(fleet.Names(1, 4), fleet.Names(5, 7));
  for (int i = 0; i < 10; ++i) fleet.Step();
  QuorumMargin m = MarginOf(fleet);
  EXPECT_THAT(m.lost, ElementsAre("v5", "v6", "v7"));
  EXPECT_EQ(QuorumMarginText(m), "up 400 of 700, quorum 467, short by 67: chain halted");
}

TEST(QuorumMarginTest, BelowQuorumIsHaltedNotAtRisk) {
  SyntheticFleet fleet(4);
  for (int i = 0; i < 5; ++i) fleet.Step();
  fleet.Kill("v3");
  fleet.Kill("v4");
  for (int i = 0; i < 15; ++i) fleet.Step();
  QuorumMargin m = MarginOf(fleet);
  EXPECT_LT(m.margin, 0);
  EXPECT_FALSE(m.one_loss_halts);
  EXPECT_EQ(QuorumMarginText(m), "up 200 of 400, quorum 267, short by 67: chain halted");
}

TEST(QuorumAtRiskScenarioTest, IsolatedValidatorAmongUnevenWeightsRaisesQuorumAtRisk) {
  // Five validators, v5 twice as heavy: 600 in all, quorum 400. v1 cut from every peer leaves
  // 500 up, margin 100, and losing v5 (200) would halt the chain.
  Analyzer analyzer(TestConfig());
  SyntheticFleet fleet(5);
  fleet.SetWeights({100, 100, 100, 100, 200});
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 15, warmup);
  EXPECT_TRUE(warmup.incidents.empty());
  fleet.Isolate("v1");
  fleet.SetRate("v1", 0);
  RunTicks(analyzer, fleet, 10, t);
  EXPECT_EQ(t.KindsEver(), (std::set<v1::IncidentKind>{v1::NODE_ISOLATED, v1::QUORUM_AT_RISK}));
  v1::Incident risk = t.Ever(v1::QUORUM_AT_RISK)[0];
  EXPECT_EQ(risk.severity(), v1::P2);
  EXPECT_THAT(risk.nodes(), ElementsAre("v1"));
  EXPECT_EQ(risk.evidence().at("margin"), "100");
  EXPECT_EQ(risk.evidence().at("heaviest up"), "v5 (200)");
  EXPECT_EQ(t.last.quorum_margin.text(),
            "up 500 of 600, quorum 400, margin 100: losing v5 (200) halts the chain");
  EXPECT_THAT(t.Ever(v1::NODE_ISOLATED)[0].nodes(), ElementsAre("v1"));
}

TEST(QuorumAtRiskScenarioTest, ValidatorSetWhoseHeaviestExceedsTheMarginIsANoteOnly) {
  Analyzer analyzer(TestConfig());
  SyntheticFleet fleet(4);
  fleet.SetWeights({100, 100, 100, 300});
  Timeline t;
  RunTicks(analyzer, fleet, 15, t);
  ASSERT_EQ(t.incidents.size(), 1u);
  const v1::Incident& inc = t.incidents.begin()->second;
  EXPECT_EQ(inc.kind(), v1::QUORUM_AT_RISK);
  EXPECT_EQ(inc.severity(), v1::P3);
  EXPECT_THAT(inc.nodes(), ElementsAre("v4"));
}

}  // namespace
}  // namespace guts::collector::testing
