// The runbook thresholds detector alone (runbook_thresholds_detector.cc): disk, config fallback,
// memory, peers, API errors and corruption lines against the node runbooks' thresholds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(RunbookThresholdsDetectorTest, DiskAboveNinetyPercentIsDiskFullP1AndAboveEightyP3) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("runbook_thresholds");
  fleet.SetDiskUsed("v2", 0.93);
  fleet.SetDiskUsed("v5", 0.85);
  const std::vector<Verdict> disk = OfKind(harness.Run(fleet, 3), "DISK_FULL");
  ASSERT_THAT(disk, SizeIs(2));
  EXPECT_EQ(disk[0].cause_key, "DISK_FULL:v2");
  EXPECT_EQ(disk[0].severity, v1::P1);
  EXPECT_EQ(disk[1].cause_key, "DISK_FULL:v5");
  EXPECT_EQ(disk[1].severity, v1::P3);
}

TEST(RunbookThresholdsDetectorTest, ConfigFallbackAndCorruptionAreTheirOwnKinds) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("runbook_thresholds");
  fleet.SetConfigFallback("v7");
  fleet.SetCorruptionLines("v3", 2);
  const std::vector<Verdict> verdicts = harness.Run(fleet, 3);
  const std::vector<Verdict> fallback = OfKind(verdicts, "CONFIG_FALLBACK");
  ASSERT_THAT(fallback, SizeIs(1));
  EXPECT_EQ(fallback[0].cause_key, "CONFIG_FALLBACK:v7");
  EXPECT_EQ(fallback[0].severity, v1::P2);
  const std::vector<Verdict> corruption = OfKind(verdicts, "DATA_CORRUPTION");
  ASSERT_THAT(corruption, SizeIs(1));
  EXPECT_EQ(corruption[0].cause_key, "DATA_CORRUPTION:v3");
  EXPECT_EQ(corruption[0].severity, v1::P1);
}

TEST(RunbookThresholdsDetectorTest, NodeHearingTwoOfThreeUpPeersIsLowPeersNamingTheMissingOne) {
  SyntheticFleet fleet(4);
  DetectorHarness harness("runbook_thresholds");
  harness.Run(fleet, 5);
  fleet.SetHears("v4", "v3", false);
  const std::vector<Verdict> low = OfKind(harness.Run(fleet, 3), "LOW_PEERS");
  ASSERT_THAT(low, SizeIs(1));
  EXPECT_EQ(low[0].cause_key, "LOW_PEERS:v4");
  ASSERT_THAT(low[0].unheard_peers, ElementsAre("v3"));
  EXPECT_EQ(low[0].peer_shortfall, 1);
  // The unheard peers view the tick's node ids instead of copying them: at 10 000 nodes that
  // all hear too few peers the copies were 20 MB of every tick (64 names a verdict), which
  // nothing but the collector's memory would show.
  const std::string* v3 = nullptr;
  for (const NodeObservation& n : harness.last_view().nodes) {
    if (n.node_id == "v3") v3 = &n.node_id;
  }
  ASSERT_NE(v3, nullptr);
  EXPECT_EQ(low[0].unheard_peers[0].data(), v3->data());
}

// The model build marks the nodes whose figures are near no threshold (NodeFacts::runbook_clear)
// and the detector skips their figures: each figure crossing its line, alone, from a clear
// tick, is reported that very tick, and gone the tick it is back; with the figures made at
// ingest and made by the model build.
TEST(RunbookThresholdsDetectorTest, EachFigureCrossingItsLineFromAClearTickIsReportedThatTick) {
  for (bool made_at_ingest : {true, false}) {
    SCOPED_TRACE(made_at_ingest ? "figures made at ingest" : "figures made by the model");
    SyntheticFleet fleet(7);
    fleet.SetMadeAtIngest(made_at_ingest);
    DetectorHarness harness("runbook_thresholds");
    EXPECT_THAT(harness.Run(fleet, 3), ::testing::IsEmpty());
    auto only = [&](const std::string& kind, const std::string& node) {
      const std::vector<Verdict> verdicts = harness.Run(fleet, 1);
      ASSERT_THAT(verdicts, SizeIs(1)) << kind;
      EXPECT_EQ(verdicts[0].cause_key, kind + ":" + node);
    };
    auto clear = [&](const std::string& after) {
      EXPECT_THAT(harness.Run(fleet, 1), ::testing::IsEmpty()) << "after " << after;
    };
    fleet.SetDiskUsed("v2", 0.85);
    only("DISK_FULL", "v2");
    fleet.SetDiskUsed("v2", 0.79);
    clear("DISK_FULL");
    fleet.SetMemoryUsed("v3", 0.95);
    only("HIGH_MEMORY", "v3");
    fleet.SetMemoryUsed("v3", 0.5);
    clear("HIGH_MEMORY");
    fleet.SetApiErrors("v4", 0.02, 0);
    only("API_ERRORS", "v4");
    fleet.SetApiErrors("v4", 0, 1.5);
    only("API_ERRORS", "v4");
    fleet.SetApiErrors("v4", 0.01, 1.0);
    clear("API_ERRORS");
    fleet.SetCorruptionLines("v5", 1);
    only("DATA_CORRUPTION", "v5");
    fleet.SetConfigFallback("v6");
    const std::vector<Verdict> verdicts = harness.Run(fleet, 1);
    EXPECT_THAT(OfKind(verdicts, "CONFIG_FALLBACK"), SizeIs(1));
  }
}

}  // namespace
}  // namespace guts::collector::testing
