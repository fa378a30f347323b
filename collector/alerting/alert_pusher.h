// AlertPusher: keeps every configured Alertmanager (and webhook) holding exactly the open
// incidents, the way Prometheus keeps its alerts there.
//
// - Every open incident is an alert (alert.h), re-sent every `resend_interval` with an endsAt
//   of four intervals ahead, so an Alertmanager that restarted gets it back and one the
//   collector stopped talking to resolves it by itself. Keep the interval below Alertmanager's
//   resolve_timeout. Not yet: an incident restored at the collector's start that its analysis
//   has not confirmed (Incident.awaiting_confirmation); the cause may have healed meanwhile.
// - A change of the alert set (an incident opened or resolved, a new severity or kind, which is
//   a new label set) is pushed at once. A new label set replaces the old one in the same push:
//   the old one is sent resolved.
// - A resolution stays in an outbox, stored in the store's "alerting" records, until every
//   endpoint accepted it and for `resolved_retention` after (as Prometheus re-sends resolved
//   alerts for 15 min): an Alertmanager down at that moment, or a collector restart, does not
//   leave a page firing.
// - Replicas (alert.h: the same cause gives the same labels from every collector replica).
//   Alertmanager merges what several senders send under one label set, but the youngest
//   explicit resolution wins: a replica that resolves while another still fires would resolve
//   the page, and the other's next re-send would page it again (a flap). So before sending a
//   resolution to an Alertmanager, the pusher reads what it holds (alert_endpoint.h,
//   HeldAlerts): a label set held unresolved whose `collector_replica` annotation (kept from the
//   last sender) names another replica is still fired by that replica, and the resolution is
//   not sent (it is sent later, once nobody holds it firing, or the other replica resolves it).
//   A resolution first waits `replica_settle` (about two resend intervals when replicas run)
//   so that a replica still firing has re-sent and shows in that annotation. When the read
//   fails, the resolution goes out as before (a single collector loses nothing).
// - Each endpoint is pushed from its own thread: one that hangs until its timeout, or fails, holds
//   up nobody else's page. One that fails is retried with exponential backoff and jitter, from
//   `min_backoff` up to `max_backoff`.
// - Webhooks get the payload Alertmanager sends its receivers, on every change of the alert
//   set and every `webhook_repeat_interval`, not on every resend.
//
// Example:
//   auto pusher = AlertPusher::Start(store, {.endpoints = {{.url = "http://127.0.0.1:9093"}}});
//   every analysis tick: (*pusher)->Observe(result.open_incidents, result.changed_incidents,
//                                           result.at);
//   (*pusher)->Stop();
//
// Thread-safe: Observe and Figures may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/alerting/alert.h"
#include "collector/alerting/alert_endpoint.h"
#include "collector/analysis/open_incidents.h"
#include "collector/store/store.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

struct AlertPusherOptions {
  std::vector<AlertEndpoint> endpoints;
  AlertContext context;
  absl::Duration resend_interval = absl::Minutes(1);
  absl::Duration webhook_repeat_interval = absl::Hours(4);
  absl::Duration resolved_retention = absl::Minutes(15);
  absl::Duration min_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  // How long a resolution waits before it goes to an Alertmanager, so that another replica
  // still firing the same label set re-sends first (see above). Zero: at once.
  absl::Duration replica_settle = absl::ZeroDuration();
};

// One endpoint's state, for /metrics and logs.
struct AlertEndpointFigures {
  std::string url;
  bool up = false;  // the last push succeeded
  uint64_t pushes_ok = 0;
  uint64_t pushes_failed = 0;
  absl::Time last_success = absl::InfinitePast();
};

struct AlertPusherFigures {
  size_t firing = 0;
  size_t resolutions_pending = 0;  // in the outbox, not yet accepted by every endpoint
  // Resolutions held back because an Alertmanager held the label set firing from another
  // replica (counted per push), for /metrics.
  uint64_t resolutions_left_to_other_replica = 0;
  std::vector<AlertEndpointFigures> endpoints;
};

class AlertPusher {
 public:
  // Loads the outbox of resolutions from `store` (which must outlive the pusher) and starts
  // a pushing thread per endpoint. The store's errors when the outbox cannot be read.
  static absl::StatusOr<std::unique_ptr<AlertPusher>> Start(Store* store,
                                                            AlertPusherOptions options);
  ~AlertPusher();  // Stop()
  AlertPusher(const AlertPusher&) = delete;
  AlertPusher& operator=(const AlertPusher&) = delete;

  // The incidents open after an analysis tick, and those it changed (for resolution times).
  void Observe(const OpenIncidents& open, const std::vector<guts::diag::v1::Incident>& changed,
               absl::Time now);

  AlertPusherFigures Figures() const;

  // Stops the threads; the outbox stays stored. Idempotent.
  void Stop();

 private:
  struct State;
  explicit AlertPusher(std::unique_ptr<State> state);
  void Run(size_t endpoint);  // one endpoint's pushes, on its own thread
  std::unique_ptr<State> state_;
};

}  // namespace guts::collector
