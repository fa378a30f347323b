#include "collector/alerting/alert.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "collector/analysis/incident_kind.h"
#include "common/incident_kind_name.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(const std::string& text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("not an RFC 3339 time: ", text));
  }
  return t;
}

// The cause key names its nodes after the kind ("NODE_DOWN:v3", "ONE_WAY_LINK:v1->v2"); a key
// without them (PARTITION, FORK) is about the fleet, whose node list moves as the fault
// evolves and so must stay out of the labels.
bool CauseNamesNodes(const v1::Incident& incident) {
  return incident.cause_key().find(':') != std::string::npos;
}

// Kinds that state a fact about the collector that raised them (which agents it cannot hear,
// its own lag), not about the network: one replica's fact, not a shared cause.
constexpr std::string_view kAboutTheCollector[] = {"COLLECTOR_UNREACHABLE", "COLLECTOR_DEGRADED"};

bool IsAboutTheCollector(const v1::Incident& incident) {
  const std::string& kind = IncidentKindName(incident);
  return std::find(std::begin(kAboutTheCollector), std::end(kAboutTheCollector), kind) !=
         std::end(kAboutTheCollector);
}

// The command the kind declares (IncidentKindSpec::first_command), else the node or the fleet.
std::string NextCommand(const v1::Incident& incident, const AlertContext& context) {
  const IncidentKindSpec* kind = FindIncidentKind(IncidentKindName(incident));
  std::string first;
  if (kind != nullptr && !kind->first_command.empty()) {
    first = std::string(kind->first_command);
  } else {
    first =
        incident.nodes_size() == 1 ? absl::StrCat("node show ", incident.nodes(0)) : "fleet status";
  }
  return absl::StrCat(context.gutsctl, " ", first, "; ", context.gutsctl, " incident show ",
                      incident.id());
}

std::string Description(const v1::Incident& incident) {
  std::string d = incident.summary();
  for (const v1::NodeGroup& g : incident.groups()) {
    absl::StrAppend(&d, "\nside ", absl::StrJoin(g.nodes(), ","), ": weight ", g.weight(),
                    g.has_quorum() ? " (quorum)" : " (no quorum)", ", height ", g.height());
  }
  if (incident.nodes_size() > 0) {
    absl::StrAppend(&d, "\nnodes: ", absl::StrJoin(incident.nodes(), ","));
  }
  std::vector<std::pair<std::string, std::string>> evidence(incident.evidence().begin(),
                                                            incident.evidence().end());
  std::sort(evidence.begin(), evidence.end());
  for (const auto& [k, v] : evidence) absl::StrAppend(&d, "\n", k, ": ", v);
  if (d.size() > kMaxDescriptionBytes) {
    d.resize(kMaxDescriptionBytes - 4);
    // Never cut a UTF-8 sequence in half: back up to the start of the last character.
    while (!d.empty() && (static_cast<unsigned char>(d.back()) & 0xC0) == 0x80) d.pop_back();
    if (!d.empty() && (static_cast<unsigned char>(d.back()) & 0x80) != 0) d.pop_back();
    d += " ...";
  }
  return d;
}

uint64_t Fnv1a64(absl::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

nlohmann::json LabelsJson(const std::map<std::string, std::string>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

Alert AlertForIncident(const v1::Incident& incident, const AlertContext& context) {
  Alert a;
  a.labels["alertname"] = IncidentKindName(incident);
  a.labels["severity"] = v1::Severity_Name(incident.severity());
  a.labels["network"] = context.network;
  a.labels["incident_id"] =
      incident.cause_key().empty()
          ? absl::StrCat(IncidentKindName(incident), ":", absl::StrJoin(incident.nodes(), ","))
          : incident.cause_key();
  if (CauseNamesNodes(incident) && incident.nodes_size() > 0 &&
      static_cast<size_t>(incident.nodes_size()) <= kMaxNodesInLabel) {
    a.labels["nodes"] = absl::StrJoin(incident.nodes(), ",");
  }
  if (!context.replica.empty()) {
    a.annotations[kReplicaKey] = context.replica;
    if (IsAboutTheCollector(incident)) a.labels[kReplicaKey] = context.replica;
  }
  a.annotations["summary"] = incident.summary();
  a.annotations["description"] = Description(incident);
  if (!incident.runbook().name().empty()) {
    a.annotations["runbook_url"] = context.runbook_url_base + incident.runbook().name();
  }
  a.annotations["command"] = NextCommand(incident, context);
  a.annotations["collector_incident"] = incident.id();
  a.starts_at = absl::FromUnixMillis(incident.opened_unix_ms());
  if (incident.state() == v1::RESOLVED) {
    a.ends_at = absl::FromUnixMillis(incident.resolved_unix_ms() > 0 ? incident.resolved_unix_ms()
                                                                     : incident.updated_unix_ms());
  }
  a.generator_url = context.external_url;
  return a;
}

std::string AlertIdentity(const Alert& alert) {
  std::string id;
  for (const auto& [k, v] : alert.labels) absl::StrAppend(&id, k, "=", v, "\x1f");
  return id;
}

std::string AlertFingerprint(const Alert& alert) {
  return absl::StrFormat("%016x", Fnv1a64(AlertIdentity(alert)));
}

bool AlertResolved(const Alert& alert, absl::Time now) { return alert.ends_at <= now; }

nlohmann::json AlertmanagerPayload(const std::vector<Alert>& alerts, absl::Time valid_until) {
  nlohmann::json out = nlohmann::json::array();
  for (const Alert& a : alerts) {
    nlohmann::json j;
    j["labels"] = LabelsJson(a.labels);
    j["annotations"] = LabelsJson(a.annotations);
    j["startsAt"] = Rfc3339(a.starts_at);
    j["endsAt"] = Rfc3339(a.ends_at == absl::InfiniteFuture() ? valid_until : a.ends_at);
    if (!a.generator_url.empty()) j["generatorURL"] = a.generator_url;
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json WebhookPayload(const std::vector<Alert>& alerts, const AlertContext& context,
                              absl::Time now) {
  nlohmann::json list = nlohmann::json::array();
  bool any_firing = false;
  std::map<std::string, std::string> common_labels, common_annotations;
  for (size_t i = 0; i < alerts.size(); ++i) {
    const Alert& a = alerts[i];
    bool resolved = AlertResolved(a, now);
    any_firing |= !resolved;
    nlohmann::json j;
    j["status"] = resolved ? "resolved" : "firing";
    j["labels"] = LabelsJson(a.labels);
    j["annotations"] = LabelsJson(a.annotations);
    j["startsAt"] = Rfc3339(a.starts_at);
    // Alertmanager writes the zero time for an alert that has not ended.
    j["endsAt"] = resolved ? Rfc3339(a.ends_at) : "0001-01-01T00:00:00Z";
    j["generatorURL"] = a.generator_url;
    j["fingerprint"] = AlertFingerprint(a);
    list.push_back(std::move(j));
    for (auto [mine, common] :
         {std::pair{&a.labels, &common_labels}, std::pair{&a.annotations, &common_annotations}}) {
      if (i == 0) {
        *common = *mine;
        continue;
      }
      for (auto it = common->begin(); it != common->end();) {
        auto m = mine->find(it->first);
        it = (m == mine->end() || m->second != it->second) ? common->erase(it) : std::next(it);
      }
    }
  }
  nlohmann::json p;
  p["version"] = "4";
  p["groupKey"] = absl::StrCat("{}:{network=\"", context.network, "\"}");
  p["truncatedAlerts"] = 0;
  p["status"] = any_firing ? "firing" : "resolved";
  p["receiver"] = "guts-collector";
  p["groupLabels"] = LabelsJson({{"network", context.network}});
  p["commonLabels"] = LabelsJson(common_labels);
  p["commonAnnotations"] = LabelsJson(common_annotations);
  p["externalURL"] = context.external_url;
  p["alerts"] = std::move(list);
  return p;
}

nlohmann::json AlertToJson(const Alert& alert) {
  nlohmann::json j;
  j["labels"] = LabelsJson(alert.labels);
  j["annotations"] = LabelsJson(alert.annotations);
  j["startsAt"] = Rfc3339(alert.starts_at);
  if (alert.ends_at != absl::InfiniteFuture()) j["endsAt"] = Rfc3339(alert.ends_at);
  j["generatorURL"] = alert.generator_url;
  return j;
}

absl::StatusOr<Alert> AlertFromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("labels") || !json["labels"].is_object() ||
      !json.contains("startsAt") || !json["startsAt"].is_string()) {
    return absl::InvalidArgumentError("not an alert: want labels and startsAt");
  }
  Alert a;
  for (const char* field : {"labels", "annotations"}) {
    if (!json.contains(field)) continue;
    auto& target = std::string_view(field) == "labels" ? a.labels : a.annotations;
    for (const auto& [k, v] : json[field].items()) {
      if (!v.is_string()) return absl::InvalidArgumentError(absl::StrCat(field, " ", k));
      target[k] = v.get<std::string>();
    }
  }
  absl::StatusOr<absl::Time> starts = ParseRfc3339(json["startsAt"].get<std::string>());
  if (!starts.ok()) return starts.status();
  a.starts_at = *starts;
  if (json.contains("endsAt") && json["endsAt"].is_string()) {
    absl::StatusOr<absl::Time> ends = ParseRfc3339(json["endsAt"].get<std::string>());
    if (!ends.ok()) return ends.status();
    a.ends_at = *ends;
  }
  if (json.contains("generatorURL") && json["generatorURL"].is_string()) {
    a.generator_url = json["generatorURL"].get<std::string>();
  }
  return a;
}

}  // namespace guts::collector
