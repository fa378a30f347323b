#include "ctl/commands/maintenance.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ctl/render/json.h"

namespace guts::ctl {
namespace {

struct MaintenanceFlags {
  std::string nodes;
  std::string duration = "1h";
  std::string start;
  std::string reason;
  bool all = false;
  std::string id;
};

std::string Utc(int64_t ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string Row(const v1::MaintenanceWindow& w, absl::Time now) {
  std::string state = w.ended_unix_ms() != 0 ? absl::StrCat("ended by ", w.ended_by())
                      : absl::FromUnixMillis(w.end_unix_ms()) <= now  ? "over"
                      : absl::FromUnixMillis(w.start_unix_ms()) > now ? "upcoming"
                                                                      : "active";
  return absl::StrCat(w.id(), "  ", Utc(w.start_unix_ms()), " -> ", Utc(w.end_unix_ms()), "  ",
                      w.nodes().empty() ? "whole network" : absl::StrJoin(w.nodes(), ","), "  ",
                      state, "  by ", w.declared_by(),
                      w.reason().empty() ? "" : absl::StrCat("  \"", w.reason(), "\""), "\n");
}

absl::StatusOr<int> Declare(Session& session, const MaintenanceFlags& flags) {
  v1::DeclareMaintenanceRequest request;
  absl::StatusOr<absl::Duration> duration = ParseFlagDuration("--duration", flags.duration);
  if (!duration.ok()) return duration.status();
  request.set_duration_ms(absl::ToInt64Milliseconds(*duration));
  if (!flags.start.empty()) {
    absl::Time start;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, flags.start, &start, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--start \"", flags.start, "\" is not an RFC 3339 time: ", error));
    }
    request.set_start_unix_ms(absl::ToUnixMillis(start));
  }
  for (absl::string_view n : absl::StrSplit(flags.nodes, ',', absl::SkipEmpty())) {
    request.add_nodes(std::string(n));
  }
  request.set_reason(flags.reason);
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::MaintenanceWindow> w = (*client)->DeclareMaintenance(request);
  if (!w.ok()) return w.status();
  session.out() << (session.json() ? RenderJson(*w)
                                   : absl::StrCat("declared ", Row(*w, absl::Now()),
                                                  "pages inside it are P3 notes; FORK and "
                                                  "DATA_CORRUPTION still page\n"));
  return kExitOk;
}

absl::StatusOr<int> List(Session& session, bool all) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::MaintenanceList> list = (*client)->Maintenance(all);
  if (!list.ok()) return list.status();
  if (session.json()) {
    session.out() << RenderJson(*list);
  } else if (list->windows().empty()) {
    session.out() << "no maintenance window\n";
  } else {
    absl::Time now = absl::Now();
    for (const v1::MaintenanceWindow& w : list->windows()) session.out() << Row(w, now);
  }
  return kExitOk;
}

absl::StatusOr<int> End(Session& session, const std::string& id) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::MaintenanceWindow> w = (*client)->EndMaintenance(id);
  if (!w.ok()) return w.status();
  session.out() << (session.json() ? RenderJson(*w) : absl::StrCat("ended ", Row(*w, absl::Now())));
  return kExitOk;
}

}  // namespace

void AddMaintenanceCommands(CLI::App& root, CommandRun& selected) {
  auto flags = std::make_shared<MaintenanceFlags>();
  CLI::App* m = root.add_subcommand(
      "maintenance", "Maintenance windows: pages inside one become P3 notes (operator role)");
  m->require_subcommand(1);
  CLI::App* declare = m->add_subcommand("declare", "Declare a window (audited)");
  declare->add_option("--nodes", flags->nodes, "Nodes it covers, comma-separated (default: all)");
  declare->add_option("--duration", flags->duration, "How long (e.g. 30m, 2h; at most 7d)")
      ->capture_default_str();
  declare->add_option("--start", flags->start, "RFC 3339 start (default: now)");
  declare->add_option("--reason", flags->reason, "Why, for the audit log and the list");
  declare->footer(
      "Examples:\n"
      "  gutsctl maintenance declare --nodes v3,v4 --duration 45m --reason 'kernel upgrade'\n"
      "  gutsctl maintenance declare --start 2026-12-06T08:00:00Z --duration 2h");
  declare->callback([flags, &selected] {
    selected = [flags](Session& session) { return Declare(session, *flags); };
  });
  CLI::App* list = m->add_subcommand("list", "Current and upcoming windows");
  list->add_flag("--all,-a", flags->all, "Include past windows");
  list->callback([flags, &selected] {
    selected = [flags](Session& session) { return List(session, flags->all); };
  });
  CLI::App* end = m->add_subcommand("end", "End a window now (audited)");
  end->add_option("id", flags->id, "Window id (gutsctl maintenance list)")->required();
  end->callback([flags, &selected] {
    selected = [flags](Session& session) { return End(session, flags->id); };
  });
}

}  // namespace guts::ctl
