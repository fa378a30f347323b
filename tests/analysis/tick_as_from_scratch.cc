#include "tests/analysis/tick_as_from_scratch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "collector/analysis/analyzer.h"
#include "collector/analysis/fleet_model.h"

namespace guts::collector::testing {

void ExpectTickAsFromScratch(const FleetView& view, AnalysisHistory& history,
                             const std::string& step) {
  SCOPED_TRACE(step);
  const AnalysisConfig config;
  const std::vector<uint32_t> numbers = NumberNodes(view, history);
  FleetModel model = BuildFleetModel(view, config, numbers, history.model_memory);
  const FleetModel scratch = BuildFleetModel(view, config);
  ASSERT_EQ(numbers.size(), view.nodes.size());
  ASSERT_EQ(model.nodes.size(), scratch.nodes.size());
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    const std::string& id = view.nodes[i].node_id;
    EXPECT_EQ(history.names.at(numbers[i]), id);
    EXPECT_EQ(model.nodes[i].sessions, scratch.nodes[i].sessions) << id;
    EXPECT_EQ(model.nodes[i].hears, scratch.nodes[i].hears) << id;
    EXPECT_EQ(model.nodes[i].validator, scratch.nodes[i].validator) << id;
    EXPECT_EQ(model.nodes[i].weight, scratch.nodes[i].weight) << id;
  }
  EXPECT_EQ(model.by_id, scratch.by_id);
  EXPECT_EQ(model.rank, scratch.rank);
  EXPECT_EQ(model.total_weight, scratch.total_weight);
  EXPECT_EQ(model.quorum_weight, scratch.quorum_weight);
  history.model_memory.Recycle(std::move(model));
}

}  // namespace guts::collector::testing
