// Incident tables: the list and one incident with its evidence, timeline and runbook.
#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/incident_kind_name.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

std::string StateLabel(const v1::Incident& incident, const Style& style) {
  if (incident.state() == v1::RESOLVED) return Paint("resolved", Tone::kGood, style);
  // Restored by a collector that just started, not yet seen again by its analysis (not paged).
  if (incident.state() == v1::OPEN && incident.awaiting_confirmation()) {
    return Paint("unconfirmed", Tone::kBold, style);
  }
  if (incident.state() == v1::OPEN) return Paint("open", Tone::kBold, style);
  return "-";
}

std::string Field(absl::string_view name, absl::string_view value, const Style& style) {
  return absl::StrCat(Paint(absl::StrCat(name, ":"), Tone::kBold, style),
                      std::string(name.size() < 10 ? 10 - name.size() : 1, ' '), value, "\n");
}

// Episodes counted before the episode list existed are one: the opening.
uint32_t EpisodeCount(const v1::Incident& incident) {
  return std::max<uint32_t>(incident.episode_count(), 1);
}

int64_t LastEpisodeBeganMs(const v1::Incident& incident) {
  if (incident.episodes().empty()) return incident.opened_unix_ms();
  return incident.episodes(incident.episodes_size() - 1).opened_unix_ms();
}

std::string AgoMs(int64_t unix_ms, absl::Time now) {
  return absl::StrCat(FormatAge(now - absl::FromUnixMillis(unix_ms)), " ago");
}

}  // namespace

std::string RenderIncidentListTable(const v1::IncidentList& list, absl::Time now,
                                    const Style& style) {
  if (list.incidents().empty())
    return absl::StrCat(Paint("No incidents.", Tone::kGood, style), "\n");
  std::vector<v1::Incident> incidents(list.incidents().begin(), list.incidents().end());
  std::stable_sort(incidents.begin(), incidents.end(), [](const auto& a, const auto& b) {
    if ((a.state() == v1::OPEN) != (b.state() == v1::OPEN)) return a.state() == v1::OPEN;
    if (a.severity() != b.severity()) return a.severity() < b.severity();
    return a.opened_unix_ms() > b.opened_unix_ms();
  });
  TextTable table(
      {"ID", "SEV", "KIND", "STATE", "OPENED", "EPISODES", "LAST BEGAN", "WHAT AND WHERE"});
  for (const auto& incident : incidents) {
    table.AddRow({incident.id(), SeverityLabel(incident.severity(), style),
                  IncidentKindName(incident), StateLabel(incident, style),
                  AgoMs(incident.opened_unix_ms(), now), absl::StrCat(EpisodeCount(incident)),
                  AgoMs(LastEpisodeBeganMs(incident), now), incident.summary()});
  }
  return table.Render(style);
}

std::string RenderIncidentTable(const v1::Incident& incident, absl::Time now, const Style& style) {
  std::string out =
      absl::StrCat(SeverityLabel(incident.severity(), style), "  ",
                   Paint(IncidentKindName(incident), Tone::kBold, style), "  ", incident.id(), "  ",
                   StateLabel(incident, style), "\n", incident.summary(), "\n\n");
  std::string opened =
      absl::StrCat(FormatUtcMs(incident.opened_unix_ms()), " (",
                   FormatAge(now - absl::FromUnixMillis(incident.opened_unix_ms())), " ago)");
  absl::StrAppend(&out, Field("opened", opened, style));
  if (incident.awaiting_confirmation()) {
    absl::StrAppend(&out, Field("restored",
                                incident.state() == v1::OPEN
                                    ? "at the collector's start; not paged until its analysis "
                                      "sees it again"
                                    : "at the collector's start; its analysis found it gone",
                                style));
  }
  if (incident.resolved_unix_ms() != 0) {
    absl::StrAppend(&out, Field("resolved", FormatUtcMs(incident.resolved_unix_ms()), style));
  }
  absl::StrAppend(&out, Field("episodes", absl::StrCat(EpisodeCount(incident)), style));
  for (int i = 0; i < incident.episodes_size(); ++i) {
    const v1::IncidentEpisode& e = incident.episodes(i);
    absl::StrAppend(
        &out, "  ", FormatUtcMs(e.opened_unix_ms()), " -> ",
        e.resolved_unix_ms() != 0 ? FormatUtcMs(e.resolved_unix_ms()) : std::string("open"),
        e.resolved_unix_ms() != 0
            ? absl::StrCat("  (",
                           FormatAge(absl::Milliseconds(e.resolved_unix_ms() - e.opened_unix_ms())),
                           ")")
            : std::string(),
        "\n");
  }
  if (!incident.nodes().empty()) {
    absl::StrAppend(&out, Field("nodes", absl::StrJoin(incident.nodes(), " "), style));
  }
  if (incident.height() != 0) {
    absl::StrAppend(&out, Field("height", absl::StrCat(incident.height()), style));
  }
  for (int i = 0; i < incident.groups_size(); ++i) {
    const v1::NodeGroup& group = incident.groups(i);
    absl::StrAppend(
        &out,
        Field(absl::StrCat("group ", i + 1),
              absl::StrCat(absl::StrJoin(group.nodes(), " "), "  weight ", group.weight(), ", ",
                           group.has_quorum() ? Paint("quorum", Tone::kGood, style)
                                              : Paint("no quorum", Tone::kBad, style),
                           ", height ", group.height()),
              style));
  }
  for (const v1::Link& link : incident.links()) {
    absl::StrAppend(&out, Field("link", absl::StrCat(link.from(), " -> ", link.to()), style));
  }
  if (!incident.absorbed().empty()) {
    absl::StrAppend(&out, Field("absorbed", absl::StrJoin(incident.absorbed(), ", "), style));
  }

  if (!incident.evidence().empty()) {
    absl::StrAppend(&out, "\n", Paint("EVIDENCE", Tone::kBold, style), "\n");
    std::map<std::string, std::string> evidence(incident.evidence().begin(),
                                                incident.evidence().end());
    TextTable table({"WHAT", "VALUE"});
    for (const auto& [key, value] : evidence) table.AddRow({key, value});
    absl::StrAppend(&out, table.Render(style));
  }
  if (!incident.timeline().empty()) {
    absl::StrAppend(&out, "\n", Paint("TIMELINE", Tone::kBold, style), "\n");
    for (const v1::TimelineEntry& entry : incident.timeline()) {
      absl::StrAppend(&out, "  ", FormatUtcMs(entry.unix_ms()), "  ", entry.event(), "\n");
    }
  }
  if (!incident.runbook().steps().empty()) {
    absl::StrAppend(&out, "\n",
                    Paint(absl::StrCat("RUNBOOK ", incident.runbook().name()), Tone::kBold, style),
                    "\n");
    for (int i = 0; i < incident.runbook().steps_size(); ++i) {
      absl::StrAppend(&out, "  ", i + 1, ". ", incident.runbook().steps(i), "\n");
    }
  }
  return out;
}

}  // namespace guts::ctl
