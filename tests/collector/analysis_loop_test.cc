#include "collector/analysis_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/fleet/fleet_state.h"
#include "collector/store/store.h"
#include "tests/collector/fleet/snapshot_record.h"

namespace guts::collector {
namespace {

using ::guts::collector::testing::Record;

// The loop makes each tick in the storage of the result it published two ticks before, but only
// once no reader holds that result: a reader that keeps a result across many ticks reads it as
// it was published.
TEST(AnalysisLoopTest, AResultAReaderHoldsIsNeverRecycledUnderIt) {
  const std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("guts-analysis-loop-test-", getpid());
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
  ASSERT_TRUE(store.ok()) << store.status();
  FleetState fleet;
  const absl::Time t = absl::Now();
  fleet.Stored({Record("v1", 1, t), Record("v2", 1, t), Record("v3", 1, t)});
  AnalysisLoop loop(store->get(), &fleet, {.tick = absl::Milliseconds(10)});
  ASSERT_TRUE(loop.Start().ok());
  std::shared_ptr<const AnalysisResult> held;
  for (int i = 0; i < 500 && held == nullptr; ++i) {
    held = loop.Latest();
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_NE(held, nullptr);
  const absl::Time at = held->at;
  const std::string topology = held->topology.SerializeAsString();
  const std::string margin = held->quorum_margin.SerializeAsString();
  ASSERT_EQ(held->nodes.size(), 3u);
  // Many ticks later (each one recycles the result of two ticks before when it can).
  int ticks = 0;
  absl::Time last = at;
  for (int i = 0; i < 2000 && ticks < 8; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
    std::shared_ptr<const AnalysisResult> now = loop.Latest();
    if (now->at != last) {
      last = now->at;
      ++ticks;
    }
  }
  loop.Stop();
  EXPECT_GE(ticks, 8);
  EXPECT_EQ(held->at, at);
  EXPECT_EQ(held->nodes.size(), 3u);
  EXPECT_NE(held->nodes.Find("v2"), nullptr);
  EXPECT_EQ(held->topology.SerializeAsString(), topology);
  EXPECT_EQ(held->topology.nodes_size(), 3);
  EXPECT_EQ(held->quorum_margin.SerializeAsString(), margin);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace guts::collector
