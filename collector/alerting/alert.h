// Alert: an incident as Alertmanager holds it — a label set that names the cause, annotations
// for the person paged, and the time span it fires for. Built the way Prometheus builds its
// alerts, so Alertmanager's grouping, silences, inhibition and dedup work on it unchanged.
//
// Labels come only from the incident's cause (its kind, severity, cause key and, for causes
// that name a few nodes, those nodes) and the configured network, never from the collector's
// own incident id or clocks: two collector replicas watching the same fleet produce the same
// label sets, and Alertmanager deduplicates them. The exception is a kind about the collector
// itself (COLLECTOR_UNREACHABLE, COLLECTOR_DEGRADED), which is one replica's own fact: its labels add `collector_replica`, so two replicas' facts
// are two alerts. Every alert carries the replica in its `collector_replica` annotation, which
// Alertmanager keeps from the last sender (alert_pusher.h uses it before resolving).
//
// Example:
//   Alert a = AlertForIncident(incident, {.network = "mainnet"});
//   a.labels["alertname"];   // "PARTITION_NO_QUORUM"
//   std::string body = AlertmanagerPayload({a}, absl::Now()).dump();   // POST /api/v2/alerts
//
// Plain values and pure functions; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "guts/diag/v1/incident.pb.h"
#include "nlohmann/json.hpp"

namespace guts::collector {

struct Alert {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  absl::Time starts_at = absl::InfinitePast();
  // InfiniteFuture while the incident is open (the push sets a validity horizon instead).
  absl::Time ends_at = absl::InfiniteFuture();
  std::string generator_url;
};

struct AlertContext {
  // The `network` label (--network-name).
  std::string network = "guts";
  // runbook_url = this + the runbook's name.
  std::string runbook_url_base =
      "https://github.com/guts-diag/guts-diag/blob/main/docs/runbooks.md#";
  // generatorURL of every alert and externalURL of webhook payloads ("" = none).
  std::string external_url;
  // The gutsctl command line's prefix in the "command" annotation, e.g. "gutsctl --collector
  // collector.guts:7400".
  std::string gutsctl = "gutsctl";
  // This collector replica's name (--replica-name): the `collector_replica` annotation of every
  // alert and label of the kinds about the collector. "" = neither.
  std::string replica;
};

// The label and annotation naming the replica.
inline constexpr char kReplicaKey[] = "collector_replica";

// A cause naming more nodes than this gets no `nodes` label (the description lists them).
inline constexpr size_t kMaxNodesInLabel = 5;
// Bound on the description annotation, in bytes.
inline constexpr size_t kMaxDescriptionBytes = 4096;

// The alert for `incident`, firing (open) or resolved (ends at its resolution time).
Alert AlertForIncident(const guts::diag::v1::Incident& incident, const AlertContext& context);

// The identity Alertmanager uses: the label set, as one canonical string.
std::string AlertIdentity(const Alert& alert);

// Alertmanager's fingerprint-like short hex of the identity (for webhook payloads and keys).
std::string AlertFingerprint(const Alert& alert);

// True once `alert` has ended by `now`.
bool AlertResolved(const Alert& alert, absl::Time now);

// The body of POST /api/v2/alerts (an array of postable alerts). An open alert gets
// endsAt = `valid_until`, as Prometheus does, so Alertmanager resolves it by itself if the
// collector stops re-sending.
nlohmann::json AlertmanagerPayload(const std::vector<Alert>& alerts, absl::Time valid_until);

// Alertmanager's webhook payload (version 4) for `alerts` as one group of `network`.
nlohmann::json WebhookPayload(const std::vector<Alert>& alerts, const AlertContext& context,
                              absl::Time now);

// An alert as a JSON value and back (the outbox of resolutions). INVALID_ARGUMENT for a value
// that is not one.
nlohmann::json AlertToJson(const Alert& alert);
absl::StatusOr<Alert> AlertFromJson(const nlohmann::json& json);

}  // namespace guts::collector
