// The long scenarios and the rolling-restart decoy of SCENARIOS.md (S01 ten minutes healthy with
// jitter, pauses and churn; S17 a link flapping for ten minutes; S21 rolling restarts inside a
// declared maintenance window, and the same restarts without one), run by scenario_runner.h at
// a compressed time scale so that CI can afford them: CompressedTimeScale() (0.1 unless
// GUTS_SCENARIO_TIME_SCALE says otherwise or the machine is overloaded) runs the sim, the agents'
// snapshots, the collector's tick and every detector window and budget at that fraction of real
// time. Durations below are real-scale.
//
// The same suite at real scale (about 30 minutes one at a time; with S24 of
// collector_overload_test.cc):
//   GUTS_SCENARIO_TIME_SCALE=1 ctest --test-dir build/<name> -R 'Soak|CollectorOverload' -j2
//
// The fault schedules (jitter, pauses, churn, flaps) come from fixed seeds, so a run is
// repeatable and a failure reproduces. Each test owns a loopback range 127.<k>.0.0.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/scenarios/scenario_runner.h"

namespace guts::testing {
namespace {

// Sleeps `d` (real-scale) at the fleet's time scale; false when `stop` turned true first.
bool Wait(const Fleet& fleet, absl::Duration d, const std::atomic<bool>& stop) {
  absl::Time until = absl::Now() + fleet.Scaled(d);
  while (absl::Now() < until) {
    if (stop) return false;
    absl::SleepFor(std::min(until - absl::Now(), absl::Milliseconds(10)));
  }
  return !stop;
}

absl::Duration Between(std::mt19937& rng, absl::Duration low, absl::Duration high) {
  std::uniform_real_distribution<double> d(absl::ToDoubleSeconds(low), absl::ToDoubleSeconds(high));
  return absl::Seconds(d(rng));
}

// A failed guts-sim ctl inside a `during` thread fails the test from there.
void Ctl(Fleet& fleet, const std::vector<std::string>& command) {
  absl::Status s = fleet.Ctl(command);
  EXPECT_TRUE(s.ok()) << s;
}

// Pauses the agent of `node` (SIGSTOP) for `d`, then resumes it even when stopped early.
void PauseAgent(Fleet& fleet, const std::string& node, absl::Duration d,
                const std::atomic<bool>& stop) {
  EXPECT_TRUE(fleet.SignalAgent(node, SIGSTOP)) << node;
  Wait(fleet, d, stop);
  EXPECT_TRUE(fleet.SignalAgent(node, SIGCONT)) << node;
}

TEST(Soak, S01HealthyFleetForTenMinutesWithJitterPausesAndChurnOpensNothing) {
  Scenario sc{.id = "S01-soak", .observe = absl::Minutes(10), .time_scale = CompressedTimeScale()};
  sc.during = [](Fleet& fleet, const std::atomic<bool>& stop) {
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> node(1, 7);
    absl::Time next_pause = absl::Now() + fleet.Scaled(absl::Seconds(20));
    absl::Time next_churn = absl::Now() + fleet.Scaled(absl::Seconds(30));
    while (!stop) {
      std::string v = absl::StrCat("v", node(rng));
      if (absl::Now() >= next_pause) {
        // An agent stalls for 1-2 s (GC pause, swapped out, SIGSTOPped by a debugger).
        PauseAgent(fleet, v, Between(rng, absl::Seconds(1), absl::Seconds(2)), stop);
        next_pause = absl::Now() + fleet.Scaled(Between(rng, absl::Seconds(20), absl::Seconds(40)));
      } else if (absl::Now() >= next_churn) {
        // Peer churn: one pair's connection drops for a moment and comes back.
        std::string w = absl::StrCat("v", node(rng) % 7 + 1);
        if (w == v) continue;
        Ctl(fleet, {"link", v, w, "down"});
        Wait(fleet, Between(rng, absl::Milliseconds(500), absl::Seconds(2)), stop);
        Ctl(fleet, {"link", v, w, "up"});
        next_churn = absl::Now() + fleet.Scaled(Between(rng, absl::Seconds(30), absl::Seconds(60)));
      } else {
        // Jittered snapshots: one agent is a fraction of an interval late.
        PauseAgent(fleet, v, Between(rng, absl::Milliseconds(50), absl::Milliseconds(500)), stop);
        Wait(fleet, Between(rng, absl::Milliseconds(100), absl::Seconds(1)), stop);
      }
    }
  };
  RunScenario(sc, 171);
}

TEST(Soak, S17LinkFlappingForTenMinutesIsOneFlappingLinkNamingThePair) {
  Scenario sc{.id = "S17",
              .heals = {{"link", "v2", "v6", "up"}},
              .kind = v1::FLAPPING_LINK,
              .severity = v1::P3,
              .names = {"v2", "v6"},
              .detect_budget = absl::Seconds(60),
              // The flapping goes on for ten minutes in all: detection, then the rest.
              .hold = absl::Minutes(9),
              .time_scale = CompressedTimeScale()};
  sc.during = [](Fleet& fleet, const std::atomic<bool>& stop) {
    std::mt19937 rng(17);
    bool up = true;
    while (!stop) {
      up = !up;
      Ctl(fleet, {"link", "v2", "v6", up ? "up" : "down"});
      Wait(fleet, Between(rng, absl::Seconds(5), absl::Seconds(20)), stop);
    }
  };
  RunScenario(sc, 157);
}

// Restarts v1..v7 one at a time, 60 s apart, each down for 20 s (a restart with its catch-up),
// and leaves every node running when stopped early.
void RollingRestart(Fleet& fleet, const std::atomic<bool>& stop) {
  for (int i = 1; i <= 7 && !stop; ++i) {
    std::string v = absl::StrCat("v", i);
    Ctl(fleet, {"kill", v});
    Wait(fleet, absl::Seconds(20), stop);
    Ctl(fleet, {"restart", v});
    if (i < 7) Wait(fleet, absl::Seconds(40), stop);
  }
}

// A window from a minute ago to an hour from now, as --maintenance-window takes it.
std::string WindowAroundNow() {
  absl::Time now = absl::Now();
  return absl::StrCat(
      absl::FormatTime(absl::RFC3339_sec, now - absl::Minutes(1), absl::UTCTimeZone()), "/",
      absl::FormatTime(absl::RFC3339_sec, now + absl::Hours(1), absl::UTCTimeZone()));
}

TEST(Soak, S21RollingRestartInsideAMaintenanceWindowPagesNobody) {
  Scenario sc{.id = "S21",
              // Seven restarts 60 s apart, and the last one's recovery.
              .observe = absl::Minutes(7) + absl::Seconds(30),
              // Each restarted node's NODE_DOWN, capped at P3 by the window, and nothing else:
              // no FLAPPING_LINK for neighbours restarted a minute apart (issue #6), no
              // LOW_PEERS or QUORUM_AT_RISK note while one node of seven is down.
              .notes = {v1::NODE_DOWN},
              .collector_args = {"--maintenance-window", WindowAroundNow()},
              .time_scale = CompressedTimeScale()};
  sc.during = RollingRestart;
  RunScenario(sc, 161);
}

// The contrast: without the window the same restarts do page, so S21 passing means something.
TEST(Soak, S21RollingRestartWithoutAWindowPagesNodeDown) {
  Scenario sc{.id = "S21-no-window",
              .kind = v1::NODE_DOWN,
              .severity = v1::P2,
              .names = {"v1"},
              // v1 is down for 20 s; NODE_DOWN has S09's 10 s budget.
              .detect_budget = absl::Seconds(10),
              .time_scale = CompressedTimeScale()};
  sc.during = RollingRestart;
  RunScenario(sc, 181);
}

}  // namespace
}  // namespace guts::testing
