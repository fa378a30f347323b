#include "collector/analysis/analyzer.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

TEST(AnalyzerTest, NodeNeverReportedIsUnknown) {
  Analyzer analyzer{AnalysisConfig{}};
  FleetView view;
  view.now = absl::FromUnixSeconds(1000);
  NodeObservation node;
  node.node_id = "v1";
  view.nodes.push_back(node);
  AnalysisResult result = analyzer.Tick(view);
  EXPECT_EQ(result.nodes.at("v1").state, guts::diag::v1::UNKNOWN);
}

}  // namespace
}  // namespace guts::collector
