// The on-call loop end to end: guts-sim with seven nodes, an agent each, a real guts-collector
// pushing to the real Alertmanager (Debian's prometheus-alertmanager, on loopback), whose
// webhook receiver is this test's own HTTP server.
//
// One fleet, in order:
//   1. a 4|3 split pages once, as one group;
//   2. Alertmanager restarts while the split holds: nothing is paged again, and it holds the
//      alert again within a resend;
//   3. Alertmanager goes down, the split heals while it is down, it comes back: the page
//      resolves (the resolution waited in the collector's outbox);
//   4. a silence made with amtool silences the same split when it comes back.
//
// Timing: the pipeline runs at 0.2 of real time; Alertmanager groups with group_wait 1s and
// group_interval 2s, and the collector re-sends every second.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/scenarios/scenario_runner.h"
#include "tests/support/alertmanager.h"
#include "tests/support/child_process.h"

namespace guts::testing {
namespace {

constexpr char kSplitAlert[] = "PARTITION_NO_QUORUM";

TEST(AlertmanagerE2E, SplitPagesOnceSurvivesRestartsResolvesAndIsSilenced) {
  ASSERT_TRUE(std::filesystem::exists(kAlertmanagerBinary))
      << "install prometheus-alertmanager (scripts/apt-packages.txt)";
  PagerInbox inbox;
  std::string dir = FreshTempDir("alertmanager_e2e");
  Alertmanager am(dir + "/am", inbox.port());
  am.Start();
  ASSERT_TRUE(am.WaitReady(absl::Seconds(30))) << "see " << dir << "/am/alertmanager.log";

  Fleet fleet("alertmanager_e2e_fleet",
              {.nodes = 7,
               .range = 175,
               .collector_args = {"--alertmanager-url", am.url(), "--alert-resend-interval", "1s",
                                  "--network-name", "e2e", "--alert-resolved-retention", "5m"},
               .time_scale = 0.2});
  ASSERT_TRUE(fleet.Start().ok());
  ASSERT_TRUE(fleet.WaitHealthy(absl::Seconds(60) * BudgetFactor()));
  absl::Duration budget = absl::Seconds(30) * BudgetFactor();

  // 1. The split pages once, as one group.
  ASSERT_TRUE(fleet.Ctl({"partition", "v1,v2,v3,v4|v5,v6,v7"}).ok());
  ASSERT_TRUE(inbox.WaitCount(kSplitAlert, "firing", 1, budget)) << inbox.Dump();
  nlohmann::json page = inbox.Last();
  ASSERT_EQ(page["alerts"].size(), 1u) << page.dump(2);
  const nlohmann::json& alert = page["alerts"][0];
  EXPECT_EQ(alert["labels"]["severity"], "P1");
  EXPECT_EQ(alert["labels"]["network"], "e2e");
  EXPECT_EQ(alert["labels"]["incident_id"], "PARTITION");
  EXPECT_NE(alert["annotations"]["description"].get<std::string>().find("side v1,v2,v3,v4"),
            std::string::npos)
      << alert.dump(2);
  EXPECT_NE(alert["annotations"]["command"].get<std::string>().find("gutsctl net partitions"),
            std::string::npos);

  // 2. Alertmanager restarts while the split holds: it holds the alert again, pages nobody.
  am.Stop();
  absl::SleepFor(absl::Seconds(2));
  am.Start();
  ASSERT_TRUE(am.WaitReady(absl::Seconds(30)));
  ASSERT_TRUE(am.WaitAlertState(kSplitAlert, "active", absl::Seconds(10)))
      << "the collector did not re-send";
  absl::SleepFor(absl::Seconds(6));  // group_wait + two group intervals
  EXPECT_EQ(inbox.Count(kSplitAlert, "firing"), 1) << inbox.Dump();

  // 3. Alertmanager is down while the split heals; once back, the page resolves.
  am.Stop();
  ASSERT_TRUE(fleet.Ctl({"heal"}).ok());
  absl::Time deadline = absl::Now() + budget;
  bool resolved = false;
  while (!resolved && absl::Now() < deadline) {
    absl::StatusOr<std::vector<v1::Incident>> incidents = fleet.Incidents(true);
    if (incidents.ok()) {
      for (const v1::Incident& i : *incidents) {
        resolved |= i.kind() == v1::PARTITION_NO_QUORUM && i.state() == v1::RESOLVED;
      }
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  ASSERT_TRUE(resolved) << "the collector did not resolve the split";
  absl::SleepFor(absl::Seconds(2));  // the collector's pushes fail meanwhile
  am.Start();
  ASSERT_TRUE(am.WaitReady(absl::Seconds(30)));
  ASSERT_TRUE(inbox.WaitCount(kSplitAlert, "resolved", 1, budget)) << inbox.Dump();
  EXPECT_EQ(inbox.Count(kSplitAlert, "firing"), 1) << inbox.Dump();

  // 4. A silence made in Alertmanager silences the split when it comes back.
  ShellResult silence =
      Shell(absl::StrCat(kAmtoolBinary, " --alertmanager.url=", am.url(),
                         " silence add alertname=PARTITION_NO_QUORUM network=e2e --duration=1h"
                         " --author=e2e --comment='maintenance drill' 2>&1"));
  ASSERT_EQ(silence.exit_code, 0) << silence.output;
  ASSERT_TRUE(fleet.Ctl({"partition", "v1,v2,v3,v4|v5,v6,v7"}).ok());
  ASSERT_TRUE(am.WaitAlertState(kSplitAlert, "suppressed", budget))
      << am.FindAlert(kSplitAlert).dump(2);
  EXPECT_FALSE(am.FindAlert(kSplitAlert)["status"]["silencedBy"].empty());
  absl::SleepFor(absl::Seconds(6));
  EXPECT_EQ(inbox.Count(kSplitAlert, "firing"), 1) << "a silenced split paged:\n" << inbox.Dump();
  ASSERT_TRUE(fleet.Ctl({"heal"}).ok());
  am.Stop();
}

}  // namespace
}  // namespace guts::testing
