#include "ctl/commands/incidents.h"

#include <algorithm>
#include <ostream>
#include <set>
#include <string>

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

// Incidents per request while paging: the collector caps a page at 1000 and 2 MiB anyway.
constexpr uint32_t kPageSize = 500;
// A runaway pager (a collector that keeps answering with the same token) stops here.
constexpr int kMaxPages = 10000;

// Every matching incident (at most flags.limit, 0 = all), read page by page: one answer of a
// long history would pass gRPC's message limit. Keeps one per id (an incident updated while
// paging can show on two pages). `pages` is how many requests it took.
absl::StatusOr<v1::IncidentList> ReadIncidents(FleetClient& client,
                                               v1::ListIncidentsRequest request, uint32_t limit,
                                               int* pages) {
  v1::IncidentList all;
  std::set<std::string> seen;
  *pages = 0;
  while (true) {
    const uint32_t wanted = limit == 0 ? kPageSize : limit - all.incidents_size();
    request.set_limit(std::min(wanted, kPageSize));
    absl::StatusOr<v1::IncidentList> page = client.Incidents(request);
    if (!page.ok()) return page.status();
    ++*pages;
    all.set_total_matching(std::max(all.total_matching(), page->total_matching()));
    for (v1::Incident& incident : *page->mutable_incidents()) {
      if (limit > 0 && static_cast<uint32_t>(all.incidents_size()) >= limit) break;
      if (seen.insert(incident.id()).second) *all.add_incidents() = std::move(incident);
    }
    const bool more = page->truncated() && !page->next_page_token().empty() &&
                      page->next_page_token() != request.page_token();
    const bool full = limit > 0 && static_cast<uint32_t>(all.incidents_size()) >= limit;
    if (!more || full || *pages >= kMaxPages) {
      all.set_truncated(more);
      if (more) all.set_next_page_token(page->next_page_token());
      return all;
    }
    request.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<int> List(Session& session, const IncidentFlags& flags) {
  v1::ListIncidentsRequest request;
  request.set_include_resolved(flags.all);
  if (!flags.since.empty()) {
    absl::StatusOr<absl::Duration> since = ParseFlagDuration("--since", flags.since);
    if (!since.ok()) return since.status();
    request.set_since_unix_ms(absl::ToUnixMillis(absl::Now() - *since));
  }
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  int pages = 0;
  absl::StatusOr<v1::IncidentList> list = ReadIncidents(**client, request, flags.limit, &pages);
  if (!list.ok()) return list.status();
  session.out() << (session.json() ? RenderJson(*list)
                                   : RenderIncidentListTable(*list, absl::Now(), session.style()));
  // On stderr, so that -o json stays one document.
  if (list->truncated()) {
    session.err() << "Showing " << list->incidents_size() << " of " << list->total_matching()
                  << " incidents (--limit " << flags.limit << "; --limit 0 shows all).\n";
  } else if (pages > 1) {
    session.err() << list->incidents_size() << " incidents, read from the collector in " << pages
                  << " pages.\n";
  }
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
  incidents->add_option(
      "--limit", flags->limit,
      "At most this many (0: all; read from the collector in pages of at most 500)");
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
