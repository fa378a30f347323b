// Most of the fleet out of the peer graph at once (graph_coverage.h): the few nodes left show
// shapes that are not faults, and the graph verdicts wait. And, for contrast, the departures
// that are evidence (agents that closed their streams) are still judged.
#include "collector/analysis/graph_coverage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class GraphCoverageTest : public ::testing::TestWithParam<bool> {
 protected:
  void Warm() { RunTicks(analyzer, fleet, 20, warmup); }
  void Run(int ticks) { RunTicks(analyzer, fleet, ticks, t); }
  // Ticks until `node` shows UNKNOWN (its silence not judged), at most 15.
  void RunUntilUnknown(const std::string& node) {
    for (int i = 0; i < 15 && (t.ticks == 0 || t.last.nodes.at(node).state != v1::UNKNOWN); ++i) {
      Run(1);
    }
    ASSERT_EQ(t.last.nodes.at(node).state, v1::UNKNOWN) << t.last.nodes.at(node).reason;
  }

  SyntheticFleet::ModeScope mode{GetParam()};
  Analyzer analyzer{TestConfig()};
  SyntheticFleet fleet{7};
  Timeline warmup;
  Timeline t;
};

// S01's soak: while five agents were late to the collector at once, the one link that churned
// (v1-v3, down for 4 s) left two nodes in the graph, each alone: "network split 1|1, no side
// holds quorum" although both still heard the other five.
TEST_P(GraphCoverageTest, FiveAgentsLateAtOnceDoNotTurnAChurnedLinkIntoASplit) {
  Warm();
  const std::vector<std::string> late = {"v2", "v4", "v5", "v6", "v7"};
  for (const std::string& node : late) fleet.AgentCutFromCollector(node, true);
  RunUntilUnknown("v2");
  EXPECT_THAT(t.last.partial_blindness, HasSubstr("only 2 of 7 nodes report their peers"));
  fleet.SetHears("v1", "v3", false);
  fleet.SetHears("v3", "v1", false);
  Run(4);
  EXPECT_THAT(t.last.partial_blindness, HasSubstr("partial blindness"));
  fleet.Heal();
  Run(5);
  for (const std::string& node : late) fleet.AgentCutFromCollector(node, false);
  Run(15);
  EXPECT_THAT(t.last.partial_blindness, IsEmpty());
  for (v1::IncidentKind kind : {v1::PARTITION, v1::PARTITION_NO_QUORUM, v1::PARTIAL_PARTITION,
                                v1::NODE_ISOLATED, v1::NODE_DOWN, v1::ONE_WAY_LINK}) {
    EXPECT_THAT(t.Ever(kind), IsEmpty()) << Summaries(t);
  }
}

// Four node processes stalled in the same snapshot (a starved host: API probes time out, the
// peers hear nothing) and back two snapshots later: the host's moment, not four nodes down.
TEST_P(GraphCoverageTest, FourNodesStalledTogetherAreNotFourNodesDown) {
  Warm();
  const std::vector<std::string> stalled = {"v1", "v2", "v3", "v4"};
  for (const std::string& node : stalled) fleet.ProcessDown(node);
  Run(3);
  EXPECT_THAT(t.last.partial_blindness, HasSubstr("only 3 of 7 nodes"));
  for (const std::string& node : stalled) fleet.Restart(node);
  Run(15);
  EXPECT_THAT(t.Ever(v1::NODE_DOWN), IsEmpty()) << Summaries(t);
  EXPECT_THAT(t.last.partial_blindness, IsEmpty());
}

// A split that opened before most agents went late stays open while they are (held, not
// cleared), and clears once they are back and the cut has healed.
TEST_P(GraphCoverageTest, AnOpenSplitNeitherClearsNorChangesWhileMostAgentsAreLate) {
  Warm();
  fleet.Cut({"v1", "v2", "v3", "v4"}, {"v5", "v6", "v7"});
  Run(5);
  ASSERT_EQ(t.Ever(v1::PARTITION_NO_QUORUM).size(), 1u) << Summaries(t);
  for (const std::string& node : fleet.Names(1, 5)) fleet.AgentCutFromCollector(node, true);
  RunUntilUnknown("v1");
  Run(5);
  std::vector<v1::Incident> open = t.Ever(v1::PARTITION_NO_QUORUM);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].state(), v1::OPEN) << "cleared while the graph held 2 of 7 nodes";
  for (const std::string& node : fleet.Names(1, 5)) fleet.AgentCutFromCollector(node, false);
  fleet.Heal();
  Run(15);
  EXPECT_EQ(t.Ever(v1::PARTITION_NO_QUORUM)[0].state(), v1::RESOLVED);
  EXPECT_THAT(t.Ever(v1::PARTITION), IsEmpty()) << Summaries(t);
}

// The contrast: nodes killed with their agents closed their streams, which is evidence; three
// of seven gone that way are three nodes down, judged at once.
TEST_P(GraphCoverageTest, NodesKilledWithTheirAgentsAreStillDown) {
  Warm();
  for (const char* node : {"v5", "v6", "v7"}) fleet.Kill(node);
  Run(5);
  EXPECT_EQ(t.Ever(v1::NODE_DOWN).size(), 3u) << Summaries(t);
  EXPECT_THAT(t.last.partial_blindness, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(BothModes, GraphCoverageTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Simplex" : "Simulation"; });

}  // namespace
}  // namespace guts::collector::testing
