#include "ctl/commands/fleet.h"

#include <atomic>
#include <csignal>
#include <ostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "ctl/render/json.h"
#include "ctl/render/table.h"
#include "ctl/replicas.h"

namespace guts::ctl {
namespace {

std::atomic<bool> interrupted{false};

void OnInterrupt(int) { interrupted = true; }

struct FleetFlags {
  bool watch = false;
  std::string interval = "2s";
};

std::string RenderStatus(Session& session, const v1::FleetStatus& status) {
  return session.json() ? RenderJson(status) : RenderFleetStatusTable(status, session.style());
}

// With several collector replicas: every replica's view, and where they disagree. On a table
// it follows the fleet; with -o json the JSON stays one FleetStatus and the comparison goes to
// stderr.
void ShowReplicas(Session& session) {
  if (session.collectors().size() < 2) return;
  std::vector<ReplicaView> views = AskEveryCollector(session.options(), session.collectors());
  std::ostream& to = session.json() ? session.err() : session.out();
  if (session.all_collectors()) {
    to << "\n" << RenderReplicaComparison(views, session.style());
    return;
  }
  std::string split = ReplicaSplitWarning(views);
  if (!split.empty()) {
    to << "\n"
       << Paint(absl::StrCat(split, "  (gutsctl --all-collectors fleet status shows each view)"),
                Tone::kWarn, session.style())
       << "\n";
  }
}

absl::StatusOr<int> ShowOnce(Session& session) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::FleetStatus> status = (*client)->FleetStatus();
  if (!status.ok()) return status.status();
  session.out() << RenderStatus(session, *status);
  ShowReplicas(session);
  return ExitCodeFor(status->open_incidents());
}

// Refreshes until Ctrl-C. On a terminal the screen is redrawn in place; otherwise each
// refresh is appended, separated by a blank line, so that it can be logged. A failed refresh
// is shown and retried: the collector restarting must not end the watch. Exits 0 on Ctrl-C.
absl::StatusOr<int> Watch(Session& session, absl::Duration interval) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  interrupted = false;
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  if (session.terminal()) session.out() << "\x1b[?25l";  // hide the cursor while redrawing
  while (!interrupted) {
    absl::StatusOr<v1::FleetStatus> status = (*client)->FleetStatus();
    std::string body;
    if (status.ok()) {
      body = RenderStatus(session, *status);
    } else {
      body = absl::StrCat(Paint(status.status().message(), Tone::kBad, session.style()), "\n");
    }
    if (session.terminal()) {
      session.out() << "\x1b[H\x1b[2J"
                    << Paint(absl::StrCat("every ", FormatAge(interval), "  ",
                                          session.options().collector, "  ", FormatUtc(absl::Now()),
                                          "  (Ctrl-C to stop)"),
                             Tone::kDim, session.style())
                    << "\n\n";
    }
    session.out() << body;
    if (!session.terminal()) session.out() << "\n";
    session.out().flush();
    absl::Time next = absl::Now() + interval;
    while (!interrupted && absl::Now() < next) absl::SleepFor(absl::Milliseconds(50));
  }
  if (session.terminal()) session.out() << "\x1b[?25h";
  session.out().flush();
  // Ctrl-C is how a watch ends: a clean exit, not an error.
  return kExitOk;
}

}  // namespace

void AddFleetCommands(CLI::App& root, CommandRun& selected) {
  CLI::App* fleet = root.add_subcommand("fleet", "The whole fleet at a glance");
  fleet->require_subcommand(1);
  auto flags = std::make_shared<FleetFlags>();
  CLI::App* status =
      fleet->add_subcommand("status",
                            "Open incidents first, then one row per node, most troubled first.\n"
                            "Exit code 3 when the fleet has an open P1 incident.");
  status->add_flag("--watch,-w", flags->watch, "Refresh every --interval until Ctrl-C");
  status->add_option("--interval", flags->interval, "Refresh interval with --watch")
      ->capture_default_str();
  status->footer(
      "Examples:\n"
      "  gutsctl fleet status\n"
      "  gutsctl fleet status --watch\n"
      "  gutsctl fleet status -o json | jq '.nodes[] | select(.state != \"HEALTHY\")'\n"
      "  gutsctl fleet status >/dev/null; [ $? -eq 3 ] && echo 'open P1'");
  status->callback([flags, &selected] {
    selected = [flags](Session& session) -> absl::StatusOr<int> {
      if (!flags->watch) return ShowOnce(session);
      absl::StatusOr<absl::Duration> interval = ParseFlagDuration("--interval", flags->interval);
      if (!interval.ok()) return interval.status();
      return Watch(session, *interval);
    };
  });
}

}  // namespace guts::ctl
