// A collector replica that returns after a heal: the incidents it restores from its store wait
// for its analysis, warmed up, to confirm them; healed ones resolve without being confirmed
// (and so without being paged again), and nothing opens from its own absence.
#include "collector/analysis/analysis_warm_up.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "collector/analysis/analyzer.h"
#include "tests/analysis/synthetic_fleet.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using testing::SyntheticFleet;

const std::vector<std::string> kFour = {"v1", "v2", "v3", "v4"};
const std::vector<std::string> kThree = {"v5", "v6", "v7"};

// The split as the replica held it when it was killed.
v1::Incident SplitOpenBeforeTheKill() {
  SyntheticFleet fleet(7);
  Analyzer analyzer(AnalysisConfig{});
  for (int i = 0; i < 5; ++i) {
    fleet.Step();
    analyzer.Tick(fleet.View());
  }
  fleet.Cut(kFour, kThree);
  for (int i = 0; i < 10; ++i) {
    fleet.Step();
    AnalysisResult r = analyzer.Tick(fleet.View());
    for (const v1::Incident& inc : r.open_incidents) {
      if (inc.kind() == v1::PARTITION_NO_QUORUM) return inc;
    }
  }
  ADD_FAILURE() << "no PARTITION_NO_QUORUM from the split";
  return v1::Incident();
}

// The view of a collector started at `started`, whose agents `back` have reconnected and
// caught up; the others are as the store left them (disconnected).
FleetView ViewAfterStart(SyntheticFleet& fleet, absl::Time started, int back) {
  fleet.Step();
  FleetView view = fleet.View();
  view.collector.started = started;
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    NodeObservation& n = view.nodes[i];
    MutableHello(n).set_next_seq(n.latest->seq());
    n.first_seen = started - absl::Hours(1);  // known from the store
    if (static_cast<int>(i) >= back) n.connected = false;
  }
  return view;
}

// `Incidents` is a std::vector<v1::Incident> (changed incidents) or an OpenIncidents.
template <typename Incidents>
const v1::Incident* Find(const Incidents& list, const std::string& id) {
  for (const v1::Incident& inc : list) {
    if (inc.id() == id) return &inc;
  }
  return nullptr;
}

TEST(AnalysisWarmUp, WaitsForEveryKnownAgentToBeBackAndCaughtUpAtMostTheLongest) {
  SyntheticFleet fleet(3);
  fleet.Step();
  FleetView view = fleet.View();
  EXPECT_FALSE(AnalysisWarmUpOf(view, absl::Seconds(30), absl::Seconds(5)).warming)
      << "start unknown";
  view.collector.started = view.now - absl::Seconds(2);
  for (NodeObservation& n : view.nodes) {
    MutableHello(n).set_next_seq(n.latest->seq());
    n.first_seen = view.collector.started - absl::Hours(1);  // known from the store
  }
  EXPECT_FALSE(AnalysisWarmUpOf(view, absl::Seconds(30), absl::Seconds(5)).warming)
      << "all caught up";

  view.nodes[1].connected = false;                                            // not back yet
  MutableHello(view.nodes[2]).set_next_seq(view.nodes[2].latest->seq() + 1);  // replaying its spool
  AnalysisWarmUp w = AnalysisWarmUpOf(view, absl::Seconds(30), absl::Seconds(5));
  EXPECT_TRUE(w.warming);
  EXPECT_NE(w.why.find("1 of 3 agents back and caught up (waiting for v2, v3)"), std::string::npos)
      << w.why;
  EXPECT_FALSE(AnalysisWarmUpOf(view, absl::Seconds(2), absl::Seconds(5)).warming)
      << "past the longest wait";
}

// A collector with an empty store: its agents arrive one by one. While they arrive it judges
// nothing (a fleet that is whole looked like "up 5 of 7 ... lost: v1,v7"), and it starts once
// none has arrived for the settle time.
TEST(AnalysisWarmUp, AFreshCollectorWaitsUntilAgentsStopArriving) {
  SyntheticFleet fleet(3);
  fleet.Step();
  FleetView view = fleet.View();
  view.collector.started = view.now - absl::Seconds(3);
  for (NodeObservation& n : view.nodes) MutableHello(n).set_next_seq(n.latest->seq());
  view.nodes[0].first_seen = view.now - absl::Seconds(3);
  view.nodes[1].first_seen = view.now - absl::Seconds(2);
  view.nodes[2].first_seen = view.now - absl::Seconds(1);
  AnalysisWarmUp w = AnalysisWarmUpOf(view, absl::Seconds(30), absl::Seconds(5));
  EXPECT_TRUE(w.warming);
  EXPECT_NE(w.why.find("3 agents so far, the newest 1.0 s ago"), std::string::npos) << w.why;
  view.now += absl::Seconds(3);
  EXPECT_TRUE(AnalysisWarmUpOf(view, absl::Seconds(30), absl::Seconds(5)).warming) << "4 s quiet";
  view.now += absl::Seconds(1);
  EXPECT_FALSE(AnalysisWarmUpOf(view, absl::Seconds(30), absl::Seconds(5)).warming)
      << "5 s without a new agent";

  FleetView empty;
  empty.now = view.now;
  empty.collector.started = view.now - absl::Seconds(1);
  EXPECT_TRUE(AnalysisWarmUpOf(empty, absl::Seconds(30), absl::Seconds(5)).warming)
      << "no agent yet";
  empty.collector.started = view.now - absl::Seconds(31);
  EXPECT_FALSE(AnalysisWarmUpOf(empty, absl::Seconds(30), absl::Seconds(5)).warming)
      << "past the longest wait";
}

// End to end through the analyzer, as in a compressed-time soak's first second: the network
// is still forming (v1 and v7 not yet heard by their peers) while a fresh collector's agents
// arrive a tick apart. Judged then, v1 and v7 look lost and five of seven is one loss from
// halting ("up 5 of 7 ... lost: v1,v7"). The collector waits until the agents stop arriving,
// by which time the network has formed: nothing opens.
TEST(AnalysisWarmUp, AgentsArrivingWhileTheNetworkFormsOpenNothing) {
  SyntheticFleet fleet(7);
  for (const char* late : {"v1", "v7"}) {
    for (int i = 1; i <= 7; ++i) {
      const std::string other = SyntheticFleet::Name(i - 1);
      if (other == late) continue;
      fleet.SetHears(other, late, false);
      fleet.SetHears(late, other, false);
    }
  }
  const std::vector<std::string> arrival_order = {"v4", "v7", "v1", "v2", "v5", "v3", "v6"};
  Analyzer analyzer(AnalysisConfig{});
  const absl::Time started = fleet.now();
  for (int tick = 1; tick <= 25; ++tick) {
    if (tick == 9) fleet.Heal();  // the network has formed
    fleet.Step();
    FleetView view = fleet.View();
    view.collector.started = started;
    std::vector<NodeObservation> arrived;
    for (NodeObservation& n : view.nodes) {
      int arrives =
          static_cast<int>(std::find(arrival_order.begin(), arrival_order.end(), n.node_id) -
                           arrival_order.begin()) +
          1;
      if (tick < arrives) continue;
      n.first_seen = started + absl::Seconds(arrives);
      MutableHello(n).set_next_seq(0);
      arrived.push_back(std::move(n));
    }
    view.nodes = std::move(arrived);
    AnalysisResult r = analyzer.Tick(view);
    for (const v1::Incident& inc : r.open_incidents) {
      ADD_FAILURE() << "tick " << tick << ": " << inc.summary();
    }
  }
}

TEST(AnalysisWarmUp, ReturningAfterTheHealResolvesTheRestoredSplitWithoutConfirmingIt) {
  v1::Incident split = SplitOpenBeforeTheKill();
  ASSERT_FALSE(split.id().empty());
  SyntheticFleet fleet(7);  // healed while the replica was away
  for (int i = 0; i < 5; ++i) fleet.Step();
  Analyzer returning(AnalysisConfig{});
  returning.RestoreIncidents({split});
  const absl::Time started = fleet.now();

  // Agents come back one by one: nothing changes, the restored split waits, unconfirmed.
  for (int back = 0; back < 7; ++back) {
    AnalysisResult r = returning.Tick(ViewAfterStart(fleet, started, back));
    EXPECT_TRUE(r.warming_up) << back;
    EXPECT_TRUE(r.changed_incidents.empty()) << r.changed_incidents[0].ShortDebugString();
    ASSERT_EQ(r.open_incidents.size(), 1u);
    EXPECT_TRUE(r.open_incidents[0].awaiting_confirmation());
  }
  // Every agent caught up: the fresh analysis finds no split and resolves it, unconfirmed.
  bool resolved = false;
  for (int i = 0; i < 10 && !resolved; ++i) {
    AnalysisResult r = returning.Tick(ViewAfterStart(fleet, started, 7));
    EXPECT_FALSE(r.warming_up);
    for (const v1::Incident& inc : r.changed_incidents) {
      EXPECT_EQ(inc.id(), split.id()) << "nothing else changes: " << inc.summary();
      EXPECT_TRUE(inc.awaiting_confirmation()) << "the healed split was confirmed";
      resolved = inc.state() == v1::RESOLVED;
    }
  }
  EXPECT_TRUE(resolved);
}

TEST(AnalysisWarmUp, ReturningDuringTheSplitConfirmsTheRestoredIncidentUnderItsId) {
  v1::Incident split = SplitOpenBeforeTheKill();
  ASSERT_FALSE(split.id().empty());
  SyntheticFleet fleet(7);
  fleet.Cut(kFour, kThree);
  for (int i = 0; i < 5; ++i) fleet.Step();
  Analyzer returning(AnalysisConfig{});
  returning.RestoreIncidents({split});
  const absl::Time started = fleet.now();
  returning.Tick(ViewAfterStart(fleet, started, 3));
  AnalysisResult r;
  int ticks = 0;
  for (; ticks < 10; ++ticks) {
    r = returning.Tick(ViewAfterStart(fleet, started, 7));
    const v1::Incident* inc = Find(r.open_incidents, split.id());
    ASSERT_NE(inc, nullptr) << "the split is still there";
    if (!inc->awaiting_confirmation()) break;
  }
  EXPECT_EQ(ticks + 1, AnalysisConfig{}.enter_ticks) << "confirmed after enter_ticks ticks";
  const v1::Incident* confirmed = Find(r.changed_incidents, split.id());
  ASSERT_NE(confirmed, nullptr) << "the confirmation is a change (stored, then pushed)";
  EXPECT_EQ(confirmed->timeline().rbegin()->event(),
            "confirmed by the analysis after the collector restarted");
}

}  // namespace
}  // namespace guts::collector
