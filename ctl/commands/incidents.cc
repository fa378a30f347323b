#include "ctl/commands/incidents.h"

#include <ostream>

#include "ctl/render/json.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

struct IncidentFlags {
  bool all = false;
  std::string since;
  uint32_t limit = 0;
  std::string id;
};

absl::StatusOr<int> List(Session& session, const IncidentFlags& flags) {
  v1::ListIncidentsRequest request;
  request.set_include_resolved(flags.all);
  request.set_limit(flags.limit);
  if (!flags.since.empty()) {
    absl::StatusOr<absl::Duration> since = ParseFlagDuration("--since", flags.since);
    if (!since.ok()) return since.status();
    request.set_since_unix_ms(absl::ToUnixMillis(absl::Now() - *since));
  }
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::IncidentList> list = (*client)->Incidents(request);
  if (!list.ok()) return list.status();
  session.out() << (session.json() ? RenderJson(*list)
                                   : RenderIncidentListTable(*list, absl::Now(), session.style()));
  return ExitCodeFor(list->incidents());
}

absl::StatusOr<int> Show(Session& session, const std::string& id) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::Incident> incident = (*client)->Incident(id);
  if (!incident.ok()) return incident.status();
  session.out() << (session.json() ? RenderJson(*incident)
                                   : RenderIncidentTable(*incident, absl::Now(), session.style()));
  return kExitOk;
}

}  // namespace

void AddIncidentCommands(CLI::App& root, CommandRun& selected) {
  auto flags = std::make_shared<IncidentFlags>();
  CLI::App* incidents = root.add_subcommand(
      "incidents",
      "Incidents, open first and most severe first. Exit code 3 when one is an open P1.");
  incidents->add_flag("--all,-a", flags->all, "Include resolved incidents");
  incidents->add_option("--since", flags->since, "Only those opened or updated within (e.g. 6h)");
  incidents->add_option("--limit", flags->limit, "At most this many");
  incidents->footer(
      "Examples:\n"
      "  gutsctl incidents\n"
      "  gutsctl incidents --all --since 24h\n"
      "  gutsctl incidents -o json | jq -r '.incidents[] | select(.severity == \"P1\") | .id'");
  incidents->callback([flags, &selected] {
    selected = [flags](Session& session) { return List(session, *flags); };
  });

  CLI::App* incident = root.add_subcommand("incident", "One incident in detail");
  incident->require_subcommand(1);
  CLI::App* show = incident->add_subcommand(
      "show", "Summary, what it names, evidence, timeline and the runbook steps to take");
  show->add_option("id", flags->id, "Incident id (gutsctl incidents lists them)")->required();
  show->footer(
      "Examples:\n"
      "  gutsctl incident show inc-7\n"
      "  gutsctl incident show inc-7 -o json | jq '.runbook.steps'");
  show->callback([flags, &selected] {
    selected = [flags](Session& session) { return Show(session, flags->id); };
  });
}

}  // namespace guts::ctl
