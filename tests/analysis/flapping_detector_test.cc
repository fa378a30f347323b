// The flapping link detector alone (flapping_detector.cc): a link going up and down within the flap
// window.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/analysis/detector_harness.h"

namespace guts::collector::testing {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

// Cuts v2-v6 for 6 ticks and heals it for 7, `cycles` times (two changes each); the last
// tick's verdicts.
std::vector<Verdict> CutAndHealV2V6(SyntheticFleet& fleet, DetectorHarness& harness, int cycles) {
  std::vector<Verdict> verdicts;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    fleet.Cut({"v2"}, {"v6"});
    harness.Run(fleet, 6);
    fleet.Heal();
    verdicts = harness.Run(fleet, 7);
  }
  return verdicts;
}

TEST(FlappingLinkDetectorTest, LinkCutAndHealedRepeatedlyIsFlappingKeyedByThePair) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  std::vector<Verdict> verdicts = CutAndHealV2V6(fleet, harness, 3);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].kind_name, "FLAPPING_LINK");
  EXPECT_EQ(verdicts[0].cause_key, "FLAPPING_LINK:v2-v6");
  EXPECT_EQ(verdicts[0].severity, v1::P3);
  EXPECT_THAT(verdicts[0].nodes, ElementsAre("v2", "v6"));
}

// S01's churn: a link down about as long as peer_heard_within shows down in one snapshot and
// up in the next, three times within the flap window (the soak at scale 0.19: v6-v7 twice,
// 16 s apart, opened FLAPPING_LINK). A blip, not a flap: no verdict.
TEST(FlappingLinkDetectorTest, DownsSeenForASingleTickAreBlipsNotFlaps) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  for (int blip = 0; blip < 3; ++blip) {
    fleet.Cut({"v6"}, {"v7"});
    EXPECT_THAT(harness.Run(fleet, 1), SizeIs(0));
    fleet.Heal();
    for (int i = 0; i < 10; ++i) EXPECT_THAT(harness.Run(fleet, 1), SizeIs(0)) << "blip " << blip;
  }
}

// The number of changes that makes a flap is the detector's own setting (flap_min_transitions),
// overridden by name in the config.
TEST(FlappingLinkDetectorTest, ItsDeclaredNumberOfChangesCanBeOverridden) {
  AnalysisConfig config = TestConfig();
  config.detector_numbers["flap_min_transitions"] = 7;
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link", config);
  harness.Run(fleet, 20);
  std::vector<Verdict> verdicts = CutAndHealV2V6(fleet, harness, 3);
  EXPECT_THAT(verdicts, SizeIs(0)) << "6 changes are below the overridden 7";
  fleet.Cut({"v2"}, {"v6"});
  verdicts = harness.Run(fleet, 6);
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].evidence.at("transitions"), "7");
}

TEST(FlappingLinkDetectorTest, OneCutIsNotFlapping) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  fleet.Cut({"v2"}, {"v6"});
  harness.Run(fleet, 6);
  fleet.Heal();
  EXPECT_THAT(harness.Run(fleet, 7), SizeIs(0));
}

// An agent a few seconds late (a stalled process, a busy host) is silent for a tick or two, but
// its node stayed up and so did its peers' sessions with it: the link's changes around that
// silence are still flaps. Each change below comes right after v6's agent was 3 s late.
TEST(FlappingLinkDetectorTest, AnAgentAFewSecondsLateDoesNotHideTheFlaps) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  std::vector<Verdict> verdicts;
  for (int cycle = 0; cycle < 2; ++cycle) {
    for (bool cut : {true, false}) {
      fleet.AgentCutFromCollector("v6", true);
      harness.Run(fleet, 3);
      fleet.AgentCutFromCollector("v6", false);
      if (cut) {
        fleet.Cut({"v2"}, {"v6"});
      } else {
        fleet.Heal();
      }
      verdicts = harness.Run(fleet, 4);
    }
  }
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].cause_key, "FLAPPING_LINK:v2-v6");
}

// S17's rhythm: the link up for 20 s, down for 20 s, with the nodes' session ages growing as
// they do, so each cut shows only once the age passes peer_heard_within: here 5 s, as a
// network whose links idle longer needs. The up periods then look 5 s longer than they are,
// and the quiet window (21 s) ran out before each cut showed. A link whose data has stopped is
// not steady: the verdict holds on every tick from its first to the end of the flapping, then
// ends within the quiet window.
TEST(FlappingLinkDetectorTest, FlapsTwentySecondsApartSeenThroughAgingSessionsNeverPause) {
  SyntheticFleet fleet(7);
  fleet.SetAging(true);
  AnalysisConfig config = TestConfig();
  config.peer_heard_within = absl::Seconds(5);
  DetectorHarness harness("flapping_link", config);
  harness.Run(fleet, 20);
  int first = -1, tick = 0, missing = 0;
  for (int cycle = 0; cycle < 5; ++cycle) {
    for (bool cut : {true, false}) {
      if (cut) {
        fleet.Cut({"v2"}, {"v6"});
      } else {
        fleet.Heal();
      }
      for (int i = 0; i < 20; ++i, ++tick) {
        bool flapping = harness.Run(fleet, 1).size() == 1;
        if (flapping && first < 0) first = tick;
        if (!flapping && first >= 0) ++missing;
      }
    }
  }
  ASSERT_GE(first, 0) << "never flapping";
  EXPECT_EQ(missing, 0) << "the verdict paused for " << missing << " ticks between flaps";
  int quiet_ticks = 0;
  while (harness.Run(fleet, 1).size() == 1 && quiet_ticks < 60) ++quiet_ticks;
  EXPECT_LE(quiet_ticks, 21) << "the link has been up and steady since the last heal";
}

// S17 draws flaps 5-20 s apart, so some downs are shorter than peer_heard_within (5 s) and never
// show as down. A link flapping, then dipping for 3 s every 15 s, is still not steady: the
// verdict holds through the dips.
TEST(FlappingLinkDetectorTest, DipsShorterThanTheHeardWindowKeepTheLinkUnsteady) {
  SyntheticFleet fleet(7);
  fleet.SetAging(true);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  for (int cycle = 0; cycle < 2; ++cycle) {
    fleet.Cut({"v2"}, {"v6"});
    harness.Run(fleet, 8);
    fleet.Heal();
    harness.Run(fleet, 8);
  }
  int missing = 0;
  for (int dip = 0; dip < 4; ++dip) {
    fleet.Cut({"v2"}, {"v6"});
    for (int i = 0; i < 3; ++i) missing += harness.Run(fleet, 1).empty();
    fleet.Heal();
    for (int i = 0; i < 12; ++i) missing += harness.Run(fleet, 1).empty();
  }
  EXPECT_EQ(missing, 0) << "the verdict paused for " << missing << " ticks during the dips";
}

// A node cut off from everyone, its agent included, for longer than its peers take to drop it,
// twice: its links go down and up with it. That is the node coming and going, not four flapping
// links.
TEST(FlappingLinkDetectorTest, ANodeGoneSilentLongerThanItsPeersWaitIsNotFlappingLinks) {
  SyntheticFleet fleet(7);
  DetectorHarness harness("flapping_link");
  harness.Run(fleet, 20);
  for (int cycle = 0; cycle < 2; ++cycle) {
    fleet.Isolate("v6");
    fleet.AgentCutFromCollector("v6", true);
    harness.Run(fleet, 8);
    fleet.AgentCutFromCollector("v6", false);
    fleet.Heal();
    EXPECT_THAT(harness.Run(fleet, 10), SizeIs(0)) << "cycle " << cycle;
  }
}

// The link history makes and compares only the lists of nodes whose heard list changed since
// the model before (FleetModel::hears_changed); with models built from scratch every tick it
// makes and compares every node's. Both give the same verdicts on every tick, through flaps, a
// late agent, a killed and restarted node and a node gone from the view.
TEST(FlappingLinkDetectorTest, OnlyChangedHeardListsGiveTheVerdictsOfComparingThemAll) {
  SyntheticFleet kept_fleet(7), full_fleet(7);
  DetectorHarness kept("flapping_link"), full("flapping_link");
  full.SetFromScratch(true);
  int flapping_ticks = 0;
  auto run = [&](int ticks) {
    for (int t = 0; t < ticks; ++t) {
      const std::vector<Verdict> a = kept.Run(kept_fleet, 1);
      const std::vector<Verdict> b = full.Run(full_fleet, 1);
      ASSERT_EQ(a.size(), b.size());
      for (size_t k = 0; k < a.size(); ++k) {
        EXPECT_EQ(a[k].cause_key, b[k].cause_key);
        EXPECT_EQ(a[k].summary, b[k].summary);
        EXPECT_EQ(a[k].evidence, b[k].evidence);
      }
      flapping_ticks += a.empty() ? 0 : 1;
    }
  };
  auto both = [&](auto&& change) {
    change(kept_fleet);
    change(full_fleet);
  };
  run(20);
  for (int cycle = 0; cycle < 3; ++cycle) {
    both([](SyntheticFleet& f) { f.Cut({"v2"}, {"v6"}); });
    run(6);
    both([](SyntheticFleet& f) { f.Heal(); });
    run(7);
  }
  both([](SyntheticFleet& f) { f.AgentCutFromCollector("v4", true); });
  run(3);
  both([](SyntheticFleet& f) {
    f.AgentCutFromCollector("v4", false);
    f.Cut({"v3"}, {"v4"});
  });
  run(4);
  both([](SyntheticFleet& f) { f.Kill("v5"); });
  run(6);
  both([](SyntheticFleet& f) {
    f.Restart("v5");
    f.Heal();
  });
  run(6);
  both([](SyntheticFleet& f) { f.RemoveAgent("v7"); });
  run(4);
  both([](SyntheticFleet& f) { f.Cut({"v1"}, {"v2"}); });
  run(4);
  EXPECT_GT(flapping_ticks, 5);
}

}  // namespace
}  // namespace guts::collector::testing
