// AlertEndpoint: one receiver of alerts — an Alertmanager (POST <url>/api/v2/alerts) or a
// webhook (POST <url>, Alertmanager's webhook payload) — with the TLS and authentication
// Alertmanager deployments use: a CA, a client certificate, and basic or bearer auth.
//
// Example:
//   AlertEndpoint am{.url = "https://am.example:9093", .kind = AlertEndpoint::kAlertmanager,
//                    .ca_file = "/etc/guts/am-ca.pem", .bearer_token_file = "/run/token"};
//   absl::Status s = PostAlerts(am, body);   // UNAVAILABLE while it is down
//
//   absl::StatusOr<nlohmann::json> held = HeldAlerts(am, "mainnet");   // GET /api/v2/alerts
//
// PostAlerts and HeldAlerts are thread-safe (one libcurl handle per call).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace guts::collector {

struct AlertEndpoint {
  enum Kind { kAlertmanager, kWebhook };
  std::string url;
  Kind kind = kAlertmanager;
  std::string ca_file;    // PEM CA to verify the server ("" = the system's)
  std::string cert_file;  // PEM client certificate and key for mTLS ("" = none)
  std::string key_file;
  std::string basic_auth_user;  // with basic_auth_password_file
  std::string basic_auth_password_file;
  std::string bearer_token_file;  // read at every push, so a rotated token is picked up
  absl::Duration timeout = absl::Seconds(10);
};

// The URL a push goes to: <url>/api/v2/alerts for an Alertmanager, the url itself for a webhook.
std::string PushUrl(const AlertEndpoint& endpoint);

// POSTs `json_body`. OK on a 2xx answer; UNAVAILABLE when the endpoint cannot be reached or
// answers 5xx/429 (worth retrying); INVALID_ARGUMENT for another 4xx (with the answer's first
// bytes); FAILED_PRECONDITION when a credentials file cannot be read.
absl::Status PostAlerts(const AlertEndpoint& endpoint, const std::string& json_body);

// Bound on the answer of HeldAlerts, in bytes.
inline constexpr size_t kMaxHeldAlertsBytes = 8 << 20;

// The alerts an Alertmanager holds unresolved with label network=`network` (GET
// <url>/api/v2/alerts?filter=network="..."): Alertmanager's gettable alerts, a JSON array. The
// errors of PostAlerts; RESOURCE_EXHAUSTED past kMaxHeldAlertsBytes; INVALID_ARGUMENT for an
// answer that is not a JSON array; FAILED_PRECONDITION for a webhook.
absl::StatusOr<nlohmann::json> HeldAlerts(const AlertEndpoint& endpoint,
                                          const std::string& network);

}  // namespace guts::collector
