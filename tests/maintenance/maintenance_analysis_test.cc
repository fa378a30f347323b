// Maintenance windows in the analysis: a node-scoped window caps only incidents about its
// nodes; a window declared at run time (SetMaintenance) takes effect on the next tick; a fork
// still pages inside a whole-network window.
#include "collector/analysis/analyzer.h"
#include "gtest/gtest.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;

v1::Severity SeverityOf(const Timeline& t, v1::IncidentKind kind, const std::string& node) {
  for (const v1::Incident& i : t.Ever(kind)) {
    if (i.nodes_size() == 1 && i.nodes(0) == node) return i.severity();
  }
  return v1::SEVERITY_UNSPECIFIED;
}

TEST(MaintenanceAnalysisTest, NodeWindowCapsOnlyItsNodes) {
  SyntheticFleet fleet(9);
  Analyzer analyzer(TestConfig());
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  // Declared at run time, for v4 only.
  analyzer.SetMaintenance(
      {{.start = fleet.now(), .end = fleet.now() + absl::Hours(1), .nodes = {"v4"}}});
  fleet.Kill("v4");
  fleet.Kill("v8");
  RunTicks(analyzer, fleet, 20, t);
  EXPECT_EQ(SeverityOf(t, v1::NODE_DOWN, "v4"), v1::P3);
  v1::Severity outside = SeverityOf(t, v1::NODE_DOWN, "v8");
  EXPECT_NE(outside, v1::SEVERITY_UNSPECIFIED) << "v8's NODE_DOWN did not open";
  EXPECT_LT(outside, v1::P3) << "v8 is outside the window and must page";
}

TEST(MaintenanceAnalysisTest, ForkPagesInsideAWholeNetworkWindow) {
  SyntheticFleet fleet(7);
  Analyzer analyzer(TestConfig());
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  analyzer.SetMaintenance({{.start = fleet.now(), .end = fleet.now() + absl::Hours(1)}});
  fleet.Fork({"v5", "v6", "v7"});
  RunTicks(analyzer, fleet, 10, t);
  std::vector<v1::Incident> forks = t.Ever(v1::FORK);
  ASSERT_FALSE(forks.empty());
  EXPECT_EQ(forks[0].severity(), v1::P1);
  EXPECT_FALSE(forks[0].evidence().contains("maintenance"));
}

TEST(MaintenanceAnalysisTest, EndedWindowPagesAgain) {
  SyntheticFleet fleet(9);
  Analyzer analyzer(TestConfig());
  Timeline warmup, t;
  RunTicks(analyzer, fleet, 20, warmup);
  analyzer.SetMaintenance({{.start = fleet.now(), .end = fleet.now() + absl::Hours(1)}});
  analyzer.SetMaintenance({});  // ended before anything happened
  fleet.Kill("v3");
  RunTicks(analyzer, fleet, 20, t);
  v1::Severity s = SeverityOf(t, v1::NODE_DOWN, "v3");
  EXPECT_NE(s, v1::SEVERITY_UNSPECIFIED);
  EXPECT_LT(s, v1::P3);
}

}  // namespace
}  // namespace guts::collector::testing
