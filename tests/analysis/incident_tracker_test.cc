#include "collector/analysis/incident_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/natural_order.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

Verdict Down(const std::string& node, v1::Severity severity = v1::P2) {
  Verdict v;
  v.kind = v1::NODE_DOWN;
  v.severity = severity;
  v.nodes = {node};
  v.cause_key = "NODE_DOWN:" + node;
  v.summary = node + " down";
  return v;
}

class IncidentTrackerTest : public ::testing::Test {
 protected:
  IncidentChanges Tick(const std::vector<Verdict>& verdicts) {
    now += absl::Seconds(1);
    return tracker.Apply(now, verdicts, {});
  }
  // An open NODE_DOWN of `node` as a restarted collector reads it back from its store.
  void RestoreOpenNodeDown(const std::string& id, const std::string& node) {
    v1::Incident restored;
    restored.set_id(id);
    restored.set_kind(v1::NODE_DOWN);
    restored.set_state(v1::OPEN);
    restored.set_cause_key("NODE_DOWN:" + node);
    tracker.Restore({restored});
  }
  AnalysisConfig config;
  IncidentTracker tracker{config};
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(IncidentTrackerTest, OpensAfterEnterTicksAndResolvesAfterClearTicks) {
  EXPECT_TRUE(Tick({Down("v4")}).open.empty());
  EXPECT_TRUE(Tick({Down("v4")}).open.empty());
  IncidentChanges c = Tick({Down("v4")});
  ASSERT_EQ(c.open.size(), 1u);
  ASSERT_EQ(c.changed.size(), 1u);
  std::string id = c.open[0].id();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Tick({}).open.size(), 1u);
  c = Tick({});
  EXPECT_TRUE(c.open.empty());
  ASSERT_EQ(c.changed.size(), 1u);
  EXPECT_EQ(c.changed[0].id(), id);
  EXPECT_EQ(c.changed[0].state(), v1::RESOLVED);
  EXPECT_GT(c.changed[0].resolved_unix_ms(), c.changed[0].opened_unix_ms());
}

TEST_F(IncidentTrackerTest, InterruptedVerdictDoesNotOpen) {
  Tick({Down("v4")});
  Tick({Down("v4")});
  Tick({});
  Tick({Down("v4")});
  EXPECT_TRUE(Tick({Down("v4")}).open.empty());
}

TEST_F(IncidentTrackerTest, CauseReturningWithinCooldownReopensTheSameIncident) {
  for (int i = 0; i < 3; ++i) Tick({Down("v4")});
  std::string id = Tick({Down("v4")}).open[0].id();
  for (int i = 0; i < 5; ++i) Tick({});
  for (int i = 0; i < 2; ++i) Tick({Down("v4")});
  IncidentChanges c = Tick({Down("v4")});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(c.open[0].id(), id);
  EXPECT_EQ(c.open[0].timeline().rbegin()->event().rfind("reopened", 0), 0u);
}

TEST_F(IncidentTrackerTest, EachReturnWithinCooldownIsAnEpisodeWithItsOpenAndClose) {
  v1::Incident inc;
  for (int episode = 0; episode < 3; ++episode) {
    for (int i = 0; i < 3; ++i) Tick({Down("v4")});
    for (int i = 0; i < 5; ++i) {
      IncidentChanges c = Tick({});
      if (!c.changed.empty()) inc = c.changed[0];
    }
  }
  EXPECT_EQ(inc.state(), v1::RESOLVED);
  EXPECT_EQ(inc.episode_count(), 3u);
  ASSERT_EQ(inc.episodes_size(), 3);
  // Open on the third tick of each 8-tick round, resolved on its eighth.
  const int64_t start = absl::ToUnixMillis(absl::FromUnixSeconds(1'800'000'000));
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(inc.episodes(e).opened_unix_ms(), start + (8 * e + 3) * 1000) << e;
    EXPECT_EQ(inc.episodes(e).resolved_unix_ms(), start + (8 * e + 8) * 1000) << e;
  }
  EXPECT_EQ(inc.opened_unix_ms(), inc.episodes(0).opened_unix_ms());
}

TEST_F(IncidentTrackerTest, CauseReturningAfterTheCooldownIsANewIncidentWithOneEpisode) {
  std::string first;
  for (int i = 0; i < 3; ++i) Tick({Down("v4")});
  first = Tick({Down("v4")}).open[0].id();
  for (int i = 0; i < 5; ++i) Tick({});
  now += config.reopen_cooldown + absl::Seconds(1);
  for (int i = 0; i < 5; ++i) Tick({});  // forgotten past the cooldown
  for (int i = 0; i < 2; ++i) Tick({Down("v4")});
  IncidentChanges c = Tick({Down("v4")});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_NE(c.open[0].id(), first);
  EXPECT_EQ(c.open[0].episode_count(), 1u);
  EXPECT_EQ(c.open[0].episodes_size(), 1);
  EXPECT_EQ(c.open[0].episodes(0).resolved_unix_ms(), 0);
}

TEST_F(IncidentTrackerTest, NodesAndGroupsAreInNaturalOrder) {
  Verdict v;
  v.kind = v1::PARTITION;
  v.cause_key = "PARTITION";
  v.nodes = {"v1", "v10", "v11", "v2", "v9"};
  v1::NodeGroup& g = v.groups.emplace_back();
  for (const char* n : {"v10", "v2", "v3"}) g.add_nodes(n);
  v1::Incident inc;
  for (int i = 0; i < 3; ++i) {
    IncidentChanges c = Tick({v});
    if (!c.open.empty()) inc = c.open[0];
  }
  EXPECT_EQ(std::vector<std::string>(inc.nodes().begin(), inc.nodes().end()),
            (std::vector<std::string>{"v1", "v2", "v9", "v10", "v11"}));
  EXPECT_EQ(std::vector<std::string>(inc.groups(0).nodes().begin(), inc.groups(0).nodes().end()),
            (std::vector<std::string>{"v2", "v3", "v10"}));
}

// The tracker keeps each list's natural order between ticks and sorts again only when the
// list changed: through repeats, joins, leaves, renames, moves between groups and a changing
// number of groups, every tick's lists equal a fresh natural sort of what the verdict said.
TEST_F(IncidentTrackerTest, KeptNaturalOrderEqualsAFreshSortAsTheListsChange) {
  using Names = std::vector<std::string>;
  auto sorted = [](Names names) {
    std::stable_sort(names.begin(), names.end(),
                     [](const std::string& a, const std::string& b) { return NaturalLess(a, b); });
    return names;
  };
  auto split = [](const Names& nodes, const std::vector<Names>& groups) {
    Verdict v;
    v.kind = v1::PARTITION;
    v.cause_key = "PARTITION";
    v.nodes = nodes;
    for (size_t k = 0; k < groups.size(); ++k) {
      v1::NodeGroup& g = v.groups.emplace_back();
      for (const std::string& n : groups[k]) g.add_nodes(n);
      g.set_weight(100 * (k + 1));
      g.set_has_quorum(k == 0);
      g.set_height(7 + k);
    }
    return v;
  };
  struct Step {
    Names nodes;
    std::vector<Names> groups;
  };
  const std::vector<Step> steps = {
      {{"v10", "v2", "v1"}, {{"v10", "v2"}, {"v1"}}},
      {{"v10", "v2", "v1"}, {{"v10", "v2"}, {"v1"}}},                    // the same again
      {{"v10", "v2", "v1", "v3"}, {{"v10", "v2", "v3"}, {"v1"}}},        // v3 joins
      {{"v10", "v2", "v1", "v3"}, {{"v10", "v2", "v3"}, {"v1"}}},        // the same, now open
      {{"v10", "v1", "v3"}, {{"v10", "v3"}, {"v1"}}},                    // v2 leaves
      {{"v10", "v1", "v03"}, {{"v10", "v03"}, {"v1"}}},                  // renamed, same order
      {{"v1", "v10", "v03"}, {{"v03"}, {"v1", "v10"}}},                  // v10 changes sides
      {{"v1", "v10", "v03"}, {{"v03"}, {"v1"}, {"v10"}}},                // three sides
      {{"v1", "v10", "v03"}, {{"v03", "v1", "v10"}}},                    // one side
      {{"b2", "a10", "a2", "a2"}, {{"b2", "a10", "a2", "a2"}, {"a9"}}},  // repeated name
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    IncidentChanges c = Tick({split(steps[i].nodes, steps[i].groups)});
    if (c.open.empty()) continue;  // not yet held for enter_ticks
    SCOPED_TRACE(i);
    const v1::Incident& inc = c.open[0];
    EXPECT_EQ(Names(inc.nodes().begin(), inc.nodes().end()), sorted(steps[i].nodes));
    ASSERT_EQ(inc.groups_size(), static_cast<int>(steps[i].groups.size()));
    for (int k = 0; k < inc.groups_size(); ++k) {
      EXPECT_EQ(Names(inc.groups(k).nodes().begin(), inc.groups(k).nodes().end()),
                sorted(steps[i].groups[k]));
      EXPECT_EQ(inc.groups(k).weight(), 100u * (k + 1));
      EXPECT_EQ(inc.groups(k).has_quorum(), k == 0);
      EXPECT_EQ(inc.groups(k).height(), 7u + k);
    }
  }
  // CopyVerdict copies a group's fields one by one (its names through the kept order): a new
  // NodeGroup field must be added there, or incidents would silently lose it.
  EXPECT_EQ(v1::NodeGroup::descriptor()->field_count(), 4);
}

TEST_F(IncidentTrackerTest, SeverityChangeIsOneIncidentWithATimelineEntry) {
  for (int i = 0; i < 3; ++i) Tick({Down("v4")});
  IncidentChanges c = Tick({Down("v4", v1::P1)});
  ASSERT_EQ(c.changed.size(), 1u);
  EXPECT_EQ(c.changed[0].severity(), v1::P1);
  EXPECT_EQ(c.changed[0].timeline().rbegin()->event(), "severity P2 -> P1");
}

TEST_F(IncidentTrackerTest, RestoredIncidentKeepsItsIdAndClearsWhenGone) {
  RestoreOpenNodeDown("inc-1-abc", "v4");
  IncidentChanges c = Tick({Down("v4")});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(c.open[0].id(), "inc-1-abc");
  for (int i = 0; i < 5; ++i) c = Tick({});
  EXPECT_TRUE(c.open.empty());
}

TEST_F(IncidentTrackerTest, RestoredIncidentAwaitsConfirmationUntilItsCauseHoldsEnterTicks) {
  RestoreOpenNodeDown("inc-1-abc", "v4");
  IncidentChanges c = tracker.Unchanged();
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_TRUE(c.open[0].awaiting_confirmation());
  for (int i = 1; i < config.enter_ticks; ++i) {
    c = Tick({Down("v4")});
    ASSERT_EQ(c.open.size(), 1u);
    EXPECT_TRUE(c.open[0].awaiting_confirmation()) << "tick " << i;
  }
  c = Tick({Down("v4")});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_FALSE(c.open[0].awaiting_confirmation());
  ASSERT_EQ(c.changed.size(), 1u);
  EXPECT_EQ(c.changed[0].id(), "inc-1-abc");
}

TEST_F(IncidentTrackerTest, RestoredIncidentWhoseCauseIsGoneResolvesUnconfirmed) {
  RestoreOpenNodeDown("inc-1-abc", "v4");
  IncidentChanges c;
  for (int i = 0; i < config.clear_ticks; ++i) c = Tick({});
  EXPECT_TRUE(c.open.empty());
  ASSERT_EQ(c.changed.size(), 1u);
  EXPECT_EQ(c.changed[0].state(), v1::RESOLVED);
  EXPECT_TRUE(c.changed[0].awaiting_confirmation());
  // Back within the cooldown: an episode of the same incident, open and confirmed.
  for (int i = 0; i < config.enter_ticks; ++i) c = Tick({Down("v4")});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(c.open[0].id(), "inc-1-abc");
  EXPECT_FALSE(c.open[0].awaiting_confirmation());
}

TEST_F(IncidentTrackerTest, HeldKindNeitherClearsNorCounts) {
  for (int i = 0; i < 3; ++i) Tick({Down("v4")});
  for (int i = 0; i < 10; ++i) {
    now += absl::Seconds(1);
    EXPECT_EQ(tracker.Apply(now, {}, {"NODE_DOWN"}).open.size(), 1u);
  }
}

TEST_F(IncidentTrackerTest, OpenListIsMostSevereFirst) {
  Verdict disk;
  disk.kind = v1::DISK_FULL;
  disk.severity = v1::P1;
  disk.nodes = {"v2"};
  disk.cause_key = "DISK_FULL:v2";
  IncidentChanges c;
  for (int i = 0; i < 3; ++i) c = Tick({Down("v4"), disk});
  ASSERT_EQ(c.open.size(), 2u);
  EXPECT_EQ(c.open[0].kind(), v1::DISK_FULL);
  EXPECT_EQ(c.open[0].runbook().name(), "disk-full");
}

// A compressed run (ticks of 0.1 s): a hold of several ticks also lasts host_noise (0.5 s) of
// the real clock, so one snapshot a busy host delayed, the latest for a few ticks, opens
// nothing. A one-tick kind opens at once; clearing waits the same way.
TEST(IncidentTrackerCompressedTest, HoldsOfSeveralTicksLastHostNoiseOnTheRealClock) {
  AnalysisConfig config;
  config.tick = absl::Milliseconds(100);
  ASSERT_EQ(config.host_noise, absl::Milliseconds(500));
  IncidentTracker tracker(config);
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  Verdict lagging = Down("v4");
  lagging.cause_key = "NODE_LAGGING:v4";
  lagging.kind = v1::NODE_LAGGING;
  Verdict fast = Down("v5");
  fast.enter_ticks = 1;
  auto tick = [&](const std::vector<Verdict>& verdicts) {
    now += config.tick;
    return tracker.Apply(now, verdicts, {});
  };
  // The one-tick kind opens on its first tick; the three-tick one waits past its third.
  IncidentChanges c = tick({lagging, fast});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(c.open[0].cause_key(), "NODE_DOWN:v5");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(tick({lagging, fast}).open.size(), 1u) << i;
  // Its sixth tick, 0.5 s after its first.
  c = tick({lagging, fast});
  EXPECT_EQ(c.open.size(), 2u);
  // Absent: five ticks (0.4 s) are not enough to clear, the sixth (0.5 s) is.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(tick({}).open.size(), 2u) << i;
  EXPECT_TRUE(tick({}).open.empty());
}

// At one tick a second the floor never binds: the three ticks of the config open.
TEST_F(IncidentTrackerTest, HostNoiseDoesNotDelayRealScaleTicks) {
  EXPECT_TRUE(Tick({Down("v4")}).open.empty());
  EXPECT_TRUE(Tick({Down("v4")}).open.empty());
  EXPECT_EQ(Tick({Down("v4")}).open.size(), 1u);
}

// A split's name lists kept between ticks (unchanged lists are neither copied again nor joined
// into text) against what each tick's verdict says from scratch: after every tick of a fleet
// that joins, loses, renames and reorders nodes, splits three ways and heals, the incident
// holds each list naturally sorted, and an "updated" entry is in the timeline exactly when a
// sorted list differs from the tick before.
Verdict Split(const std::vector<std::vector<std::string>>& sides) {
  Verdict v;
  v.kind = v1::PARTITION;
  v.severity = v1::P1;
  v.cause_key = "PARTITION";
  v.summary = "network split";
  for (size_t k = 0; k < sides.size(); ++k) {
    v1::NodeGroup& g = v.groups.emplace_back();
    for (const std::string& n : sides[k]) g.add_nodes(n);
    g.set_weight(sides[k].size());
    g.set_has_quorum(k == 0);
    if (k > 0) v.nodes.insert(v.nodes.end(), sides[k].begin(), sides[k].end());
  }
  return v;
}

std::vector<std::string> Natural(std::vector<std::string> names) {
  std::stable_sort(names.begin(), names.end(), NaturalLess);
  return names;
}

TEST_F(IncidentTrackerTest, KeptNameListsMatchEachTicksVerdict) {
  const std::vector<std::vector<std::vector<std::string>>> ticks = {
      {{"v1", "v2", "v10"}, {"v3", "v4"}},
      {{"v1", "v2", "v10"}, {"v3", "v4"}},
      {{"v1", "v2", "v10"}, {"v3", "v4"}},         // opens here
      {{"v1", "v2", "v10"}, {"v3", "v4"}},         // steady: kept
      {{"v10", "v2", "v1"}, {"v4", "v3"}},         // reordered: the same sorted lists
      {{"v1", "v2", "v10", "v11"}, {"v3", "v4"}},  // a join
      {{"v1", "v2", "v10", "v11"}, {"v3", "v4"}},
      {{"v1", "v10", "v11"}, {"v3", "v4"}},     // a leave
      {{"v1", "v10", "v11"}, {"v3", "v40"}},    // a rename
      {{"v1", "v10"}, {"v3", "v40"}, {"v11"}},  // three sides
      {{"v1", "v10"}, {"v3", "v40"}, {"v11"}},
      {{"v1", "v10"}, {"v11"}, {"v3", "v40"}},  // the sides' order changes
      {{"v1", "v10", "v11"}, {"v3", "v40"}},    // partly healed
      {{"v1", "v10", "v11"}, {"v3", "v40"}},
      {{"v1", "v10", "v11"}, {}},  // a side empties
      {{"v1", "v10", "v11"}, {"v3", "v40"}},
  };
  std::vector<std::string> last_nodes;
  std::vector<std::vector<std::string>> last_groups;
  int last_timeline = 0;
  bool opened = false;
  for (size_t t = 0; t < ticks.size(); ++t) {
    SCOPED_TRACE(t);
    const Verdict v = Split(ticks[t]);
    IncidentChanges c = Tick({v});
    if (c.open.empty()) {
      ASSERT_FALSE(opened);
      continue;
    }
    ASSERT_EQ(c.open.size(), 1u);
    const v1::Incident& inc = c.open[0];
    const std::vector<std::string> nodes = Natural(v.nodes);
    EXPECT_EQ(std::vector<std::string>(inc.nodes().begin(), inc.nodes().end()), nodes);
    std::vector<std::vector<std::string>> groups;
    ASSERT_EQ(inc.groups_size(), static_cast<int>(v.groups.size()));
    for (size_t k = 0; k < v.groups.size(); ++k) {
      const v1::NodeGroup& g = inc.groups(static_cast<int>(k));
      groups.push_back(Natural({v.groups[k].nodes().begin(), v.groups[k].nodes().end()}));
      EXPECT_EQ(std::vector<std::string>(g.nodes().begin(), g.nodes().end()), groups.back());
      EXPECT_EQ(g.weight(), v.groups[k].weight());
      EXPECT_EQ(g.has_quorum(), v.groups[k].has_quorum());
    }
    int nodes_events = 0, groups_events = 0;
    for (int e = last_timeline; e < inc.timeline_size(); ++e) {
      const std::string& event = inc.timeline(e).event();
      nodes_events += event.starts_with("updated: nodes ") ? 1 : 0;
      groups_events += event.starts_with("updated: groups ") ? 1 : 0;
    }
    if (opened) {
      EXPECT_EQ(nodes_events, nodes != last_nodes ? 1 : 0);
      EXPECT_EQ(groups_events, groups != last_groups ? 1 : 0);
      EXPECT_EQ(c.changed.size(), nodes != last_nodes || groups != last_groups ? 1u : 0u);
    }
    opened = true;
    last_nodes = nodes;
    last_groups = groups;
    last_timeline = inc.timeline_size();
  }
  EXPECT_TRUE(opened);
}

// A large split's change is named in the timeline by its first names and counts; the incident
// keeps every name, and a change past the names shown is still a change.
TEST_F(IncidentTrackerTest, LargeSplitsTimelineEventsNameTheFirstNodesAndCountTheRest) {
  auto names = [](int first, int last) {
    std::vector<std::string> out;
    for (int i = first; i <= last; ++i) out.push_back(absl::StrCat("v", i));
    return out;
  };
  std::vector<std::vector<std::string>> sides = {names(1, 100)};
  for (int first = 101; first <= 140; first += 4) sides.push_back(names(first, first + 3));
  for (int t = 0; t < 4; ++t) Tick({Split(sides)});
  sides[10].back() = "v999";  // the last node of the last side, past any name shown
  IncidentChanges c = Tick({Split(sides)});
  ASSERT_EQ(c.changed.size(), 1u);
  const v1::Incident& inc = c.changed[0];
  EXPECT_EQ(inc.nodes_size(), 40);
  EXPECT_EQ(inc.groups(10).nodes(3), "v999");
  std::string nodes_event, groups_event;
  for (const v1::TimelineEntry& e : inc.timeline()) {
    if (e.event().starts_with("updated: nodes ")) nodes_event = e.event();
    if (e.event().starts_with("updated: groups ")) groups_event = e.event();
  }
  EXPECT_EQ(nodes_event, absl::StrCat("updated: nodes ", absl::StrJoin(names(101, 132), ","),
                                      ",... (40 nodes)"));
  EXPECT_THAT(groups_event, ::testing::StartsWith(
                                absl::StrCat("updated: groups {", absl::StrJoin(names(1, 32), ","),
                                             ",... (100 nodes)} {v101,v102,v103,v104}")));
  EXPECT_THAT(groups_event, ::testing::EndsWith("{v125,v126,v127,v128} ... (11 groups)"));
}

// A restored incident's lists are the store's: the first tick writes the verdict's over them,
// even when the verdict names nobody new.
TEST_F(IncidentTrackerTest, RestoredSplitTakesTheVerdictsLists) {
  v1::Incident restored;
  restored.set_id("inc-1");
  restored.set_kind(v1::PARTITION);
  restored.set_state(v1::OPEN);
  restored.set_cause_key("PARTITION");
  restored.add_nodes("v9");
  restored.add_groups()->add_nodes("v8");
  restored.add_groups()->add_nodes("v9");
  tracker.Restore({restored});
  IncidentChanges c = Tick({Split({{"v1", "v2"}, {"v3"}})});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(c.open[0].nodes().begin(), c.open[0].nodes().end()),
            std::vector<std::string>{"v3"});
  ASSERT_EQ(c.open[0].groups_size(), 2);
  EXPECT_EQ(c.open[0].groups(0).nodes_size(), 2);
  EXPECT_EQ(c.open[0].groups(1).nodes(0), "v3");
}

// A large incident (a split's) is handed out again while it is unchanged, not copied; once it
// changes, the new tick has a new copy and a result handed out earlier keeps the incident as it
// stood. Each change below leaves the name lists as they were, so only the comparison of the
// rest of the incident can tell.
TEST_F(IncidentTrackerTest, UnchangedLargeIncidentIsSharedAndAChangeIsACopy) {
  auto split = [](v1::Severity severity, const std::string& summary, uint64_t weight,
                  const std::string& evidence) {
    Verdict v;
    v.kind = v1::PARTITION_NO_QUORUM;
    v.severity = severity;
    v.cause_key = "PARTITION";
    v.summary = summary;
    for (int k = 0; k < 2; ++k) {
      v1::NodeGroup& g = v.groups.emplace_back();
      for (int i = 0; i < 50; ++i) {
        g.add_nodes(absl::StrCat("v", k * 50 + i));
        v.nodes.push_back(absl::StrCat("v", k * 50 + i));
      }
      g.set_weight(weight * (k + 1));
    }
    v.evidence["sides"] = evidence;
    return v;
  };
  const Verdict steady = split(v1::P2, "split in two", 50, "2");
  Tick({steady});
  Tick({steady});
  const IncidentChanges opened = Tick({steady});
  ASSERT_EQ(opened.open.size(), 1u);
  const IncidentChanges again = Tick({steady});
  ASSERT_EQ(again.open.size(), 1u);
  EXPECT_TRUE(again.changed.empty());
  EXPECT_EQ(again.open.share(0), opened.open.share(0)) << "unchanged: shared, not copied";

  const std::vector<Verdict> changes = {
      split(v1::P1, "split in two", 50, "2"),         // severity (a timeline entry)
      split(v1::P1, "split in two, worse", 50, "2"),  // the summary only
      split(v1::P1, "split in two, worse", 60, "2"),  // a group's weight only
      split(v1::P1, "split in two, worse", 60, "3"),  // the evidence only
  };
  IncidentChanges before = again;
  for (size_t i = 0; i < changes.size(); ++i) {
    const std::string before_text = before.open[0].DebugString();
    const IncidentChanges after = Tick({changes[i]});
    ASSERT_EQ(after.open.size(), 1u);
    EXPECT_NE(after.open.share(0), before.open.share(0)) << "change " << i;
    EXPECT_EQ(before.open[0].DebugString(), before_text) << "change " << i << " leaked back";
    EXPECT_EQ(after.open[0].summary(), changes[i].summary) << "change " << i;
    EXPECT_EQ(after.open[0].severity(), changes[i].severity) << "change " << i;
    EXPECT_EQ(after.open[0].groups(1).weight(), changes[i].groups[1].weight()) << "change " << i;
    EXPECT_EQ(after.open[0].evidence().at("sides"), changes[i].evidence.at("sides"))
        << "change " << i;
    before = after;
  }
  // A changed name list is a new copy too.
  Verdict joined = changes.back();
  joined.groups[0].add_nodes("v100");
  joined.nodes.push_back("v100");
  const IncidentChanges after = Tick({joined});
  EXPECT_NE(after.open.share(0), before.open.share(0));
  EXPECT_EQ(before.open[0].groups(0).nodes_size(), 50);
  EXPECT_EQ(after.open[0].groups(0).nodes_size(), 51);
}

// A split verdict of sides[0] (the quorum side) and sides[1] (cut off, `nodes`) with the
// members key a split detector gives: `epoch` and each side's members as model indices (here
// the number after "v"; "u..." names a validator without an agent).
Verdict KeyedSplit(uint64_t epoch, const std::vector<std::vector<std::string>>& sides) {
  Verdict v = Split(sides);
  VerdictMembers m;
  m.key.index_epoch = epoch;
  m.key.first_named = 1;
  for (const std::vector<std::string>& side : sides) {
    std::vector<int>& indices = m.key.sides.emplace_back();
    std::vector<std::string>& unobserved = m.key.unobserved.emplace_back();
    for (const std::string& n : side) {
      if (n[0] == 'u') {
        unobserved.push_back(n);
      } else {
        indices.push_back(std::stoi(n.substr(1)));
      }
    }
  }
  v.SetMembers(std::move(m));
  return v;
}

std::vector<std::string> GroupNames(const v1::Incident& inc, int g) {
  return {inc.groups(g).nodes().begin(), inc.groups(g).nodes().end()};
}

// The members key stands for the names only while it is theirs: a key that differs in an
// unobserved validator's name alone, a verdict whose names changed after its key was set, and a
// key of another index epoch each list the verdict's names.
TEST_F(IncidentTrackerTest, AMembersKeyStandsForTheNamesOnlyWhileItIsTheirs) {
  for (int i = 0; i < 3; ++i) Tick({KeyedSplit(1, {{"v1", "v2", "v3"}, {"v4", "u1"}})});
  IncidentChanges c = Tick({KeyedSplit(1, {{"v1", "v2", "v3"}, {"v4", "u1"}})});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(GroupNames(c.open[0], 1), (std::vector<std::string>{"u1", "v4"}));
  // An unobserved validator renamed: its key differs in that name only.
  c = Tick({KeyedSplit(1, {{"v1", "v2", "v3"}, {"v4", "u2"}})});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(GroupNames(c.open[0], 1), (std::vector<std::string>{"u2", "v4"}));
  EXPECT_EQ(std::vector<std::string>(c.open[0].nodes().begin(), c.open[0].nodes().end()),
            (std::vector<std::string>{"u2", "v4"}));
  // Names changed after the key was set (to other sizes): the verdict has no key.
  Verdict edited = KeyedSplit(1, {{"v1", "v2", "v3"}, {"v4", "u2"}});
  edited.groups[0].add_nodes("v9");
  ASSERT_EQ(edited.Members(), nullptr);
  c = Tick({edited});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(GroupNames(c.open[0], 0), (std::vector<std::string>{"v1", "v2", "v3", "v9"}));
  // Cleared by whoever edits them in place.
  Verdict renamed = KeyedSplit(1, {{"v1", "v2", "v3"}, {"v4", "u2"}});
  Tick({renamed});
  *renamed.groups[0].mutable_nodes(2) = "v7";
  renamed.ClearMembers();
  c = Tick({renamed});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(GroupNames(c.open[0], 0), (std::vector<std::string>{"v1", "v2", "v7"}));
  // The same indices in another epoch name other nodes.
  Tick({KeyedSplit(1, {{"v1", "v2", "v3"}, {"v4", "u2"}})});
  Verdict other_epoch = KeyedSplit(2, {{"v1", "v2", "v3"}, {"v4", "u2"}});
  *other_epoch.groups[1].mutable_nodes(0) = "v4x";
  other_epoch.nodes[0] = "v4x";
  c = Tick({other_epoch});
  ASSERT_EQ(c.open.size(), 1u);
  EXPECT_EQ(GroupNames(c.open[0], 1), (std::vector<std::string>{"u2", "v4x"}));
}

}  // namespace
}  // namespace guts::collector
