#include "collector/alerting/alert_pusher.h"

#include <pthread.h>

#include <map>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

constexpr char kRoom[] = "alerting";

// A resolved alert on its way out.
struct Resolution {
  Alert alert;
  std::set<size_t> pending;  // endpoints that have not accepted it yet
  absl::Time resolved_at;
};

struct EndpointState {
  AlertEndpoint config;
  absl::Time next_at = absl::InfinitePast();
  absl::Time last_push = absl::InfinitePast();
  absl::Duration backoff = absl::ZeroDuration();
  bool dirty = true;
  bool woken = false;              // the alert set changed: its thread looks at once
  bool held_read_failing = false;  // the last HeldAlerts failed (logged once)
  AlertEndpointFigures figures;
};

}  // namespace

struct AlertPusher::State {
  Store* store = nullptr;
  AlertPusherOptions options;
  mutable absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::map<std::string, Alert> firing ABSL_GUARDED_BY(mu);  // by identity
  std::map<std::string, Resolution> resolved ABSL_GUARDED_BY(mu);
  std::vector<EndpointState> endpoints ABSL_GUARDED_BY(mu);
  uint64_t resolutions_left_to_other_replica ABSL_GUARDED_BY(mu) = 0;
  std::mt19937_64 rng ABSL_GUARDED_BY(mu){std::random_device{}()};
  std::vector<std::thread> threads;  // one per endpoint

  void Persist(const Resolution& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    nlohmann::json pending = nlohmann::json::array();
    for (size_t i : r.pending) pending.push_back(endpoints[i].config.url);
    nlohmann::json j{{"alert", AlertToJson(r.alert)},
                     {"pending", pending},
                     {"resolved_at_ms", absl::ToUnixMillis(r.resolved_at)}};
    absl::Status s = store->PutRecord(kRoom, AlertFingerprint(r.alert), j.dump());
    if (!s.ok()) spdlog::error("alerting: cannot store a resolution: {}", s.ToString());
  }

  void Forget(const Alert& alert) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    absl::Status s = store->DeleteRecord(kRoom, AlertFingerprint(alert));
    if (!s.ok()) spdlog::error("alerting: cannot delete a resolution: {}", s.ToString());
  }

  void AddResolution(const std::string& identity, Alert alert, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Resolution r{.alert = std::move(alert), .resolved_at = now};
    for (size_t i = 0; i < endpoints.size(); ++i) r.pending.insert(i);
    Persist(r);
    resolved[identity] = std::move(r);
  }

  absl::Status Load() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> records =
        store->Records(kRoom);
    if (!records.ok()) return records.status();
    for (const auto& [id, value] : *records) {
      nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
      absl::StatusOr<Alert> alert = j.is_object() && j.contains("alert")
                                        ? AlertFromJson(j["alert"])
                                        : absl::InvalidArgumentError("no alert");
      if (!alert.ok()) {
        spdlog::warn("alerting: dropping an unreadable stored resolution {}: {}", id,
                     alert.status().ToString());
        (void)store->DeleteRecord(kRoom, id);
        continue;
      }
      Resolution r{.alert = *alert};
      r.resolved_at = j.contains("resolved_at_ms") && j["resolved_at_ms"].is_number_integer()
                          ? absl::FromUnixMillis(j["resolved_at_ms"].get<int64_t>())
                          : alert->ends_at;
      if (j.contains("pending") && j["pending"].is_array()) {
        for (const auto& url : j["pending"]) {
          for (size_t i = 0; i < endpoints.size(); ++i) {
            if (url.is_string() && url.get<std::string>() == endpoints[i].config.url) {
              r.pending.insert(i);
            }
          }
        }
      }
      resolved[AlertIdentity(*alert)] = std::move(r);
    }
    if (!resolved.empty()) {
      spdlog::info("alerting: {} resolutions still to deliver or re-send", resolved.size());
    }
    return absl::OkStatus();
  }

  void Wake(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (EndpointState& e : endpoints) {
      e.dirty = true;
      // An endpoint that is failing keeps its backoff; the change goes out with its next try.
      if (e.backoff == absl::ZeroDuration()) e.next_at = now;
      e.woken = true;
    }
  }
};

AlertPusher::AlertPusher(std::unique_ptr<State> state) : state_(std::move(state)) {}

AlertPusher::~AlertPusher() { Stop(); }

absl::StatusOr<std::unique_ptr<AlertPusher>> AlertPusher::Start(Store* store,
                                                                AlertPusherOptions options) {
  auto state = std::make_unique<State>();
  state->store = store;
  state->options = std::move(options);
  {
    absl::MutexLock lock(&state->mu);
    for (const AlertEndpoint& e : state->options.endpoints) {
      EndpointState es{.config = e};
      es.figures.url = e.url;
      state->endpoints.push_back(std::move(es));
    }
    if (absl::Status s = state->Load(); !s.ok()) return s;
  }
  std::unique_ptr<AlertPusher> pusher(new AlertPusher(std::move(state)));
  // A thread per endpoint: an endpoint that hangs until its timeout delays nobody else's page.
  for (size_t i = 0; i < pusher->state_->options.endpoints.size(); ++i) {
    pusher->state_->threads.emplace_back([p = pusher.get(), i] {
      pthread_setname_np(pthread_self(), absl::StrCat("alerts:push", i).substr(0, 15).c_str());
      p->Run(i);
    });
  }
  return pusher;
}

void AlertPusher::Stop() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stopping = true;
  }
  for (std::thread& t : state_->threads) {
    if (t.joinable()) t.join();
  }
}

void AlertPusher::Observe(const OpenIncidents& open, const std::vector<v1::Incident>& changed,
                          absl::Time now) {
  State& s = *state_;
  std::map<std::string, Alert> firing;
  for (const v1::Incident& inc : open) {
    // Restored at the collector's start and not yet confirmed by its fresh analysis: the
    // cause may have healed while the collector was away, so it is not paged again. Its
    // resolution, if it comes, still goes out.
    if (inc.awaiting_confirmation()) continue;
    Alert a = AlertForIncident(inc, s.options.context);
    firing.emplace(AlertIdentity(a), std::move(a));
  }
  std::map<std::string, Alert> just_resolved;
  for (const v1::Incident& inc : changed) {
    if (inc.state() != v1::RESOLVED) continue;
    Alert a = AlertForIncident(inc, s.options.context);
    just_resolved.emplace(AlertIdentity(a), std::move(a));
  }
  absl::MutexLock lock(&s.mu);
  bool set_changed = false;
  for (auto& [identity, alert] : s.firing) {
    if (firing.contains(identity)) continue;
    // Resolved, or replaced by a new label set (severity or kind changed): either way this
    // label set ends now.
    auto r = just_resolved.find(identity);
    Alert ended = r != just_resolved.end() ? r->second : alert;
    if (ended.ends_at == absl::InfiniteFuture()) ended.ends_at = now;
    s.AddResolution(identity, std::move(ended), now);
    set_changed = true;
  }
  for (auto& [identity, alert] : just_resolved) {
    if (firing.contains(identity) || s.firing.contains(identity) || s.resolved.contains(identity)) {
      continue;
    }
    s.AddResolution(identity, alert, now);  // opened and resolved between two observations
    set_changed = true;
  }
  for (const auto& [identity, alert] : firing) {
    if (s.firing.contains(identity)) continue;
    set_changed = true;
    auto r = s.resolved.find(identity);
    if (r != s.resolved.end()) {
      s.Forget(r->second.alert);
      s.resolved.erase(r);
    }
  }
  s.firing = std::move(firing);
  if (set_changed) s.Wake(absl::Now());
}

AlertPusherFigures AlertPusher::Figures() const {
  absl::MutexLock lock(&state_->mu);
  AlertPusherFigures f;
  f.firing = state_->firing.size();
  f.resolutions_left_to_other_replica = state_->resolutions_left_to_other_replica;
  for (const auto& [id, r] : state_->resolved) f.resolutions_pending += r.pending.empty() ? 0 : 1;
  for (const EndpointState& e : state_->endpoints) f.endpoints.push_back(e.figures);
  return f;
}

namespace {

// The identities among `resolutions` that `held` (an Alertmanager's unresolved alerts) shows
// fired by another replica than `replica`: the same labels, a `collector_replica` annotation
// naming someone else.
std::set<std::string> FiredByAnotherReplica(
    const nlohmann::json& held, const std::vector<std::pair<std::string, Alert>>& resolutions,
    const std::string& replica) {
  std::set<std::string> resolving;  // identities (canonical label sets)
  for (const auto& [id, alert] : resolutions) resolving.insert(id);
  std::set<std::string> out;
  for (const nlohmann::json& a : held) {
    if (!a.is_object() || !a.contains("labels") || !a["labels"].is_object()) continue;
    Alert labels_only;
    bool strings = true;
    for (const auto& [k, v] : a["labels"].items()) {
      if (!v.is_string()) {
        strings = false;
        break;
      }
      labels_only.labels[k] = v.get<std::string>();
    }
    if (!strings) continue;
    std::string identity = AlertIdentity(labels_only);
    if (!resolving.contains(identity)) continue;
    std::string sender;
    if (a.contains("annotations") && a["annotations"].is_object()) {
      const nlohmann::json& ann = a["annotations"];
      if (ann.contains(kReplicaKey) && ann[kReplicaKey].is_string()) {
        sender = ann[kReplicaKey].get<std::string>();
      }
    }
    if (sender != replica) out.insert(identity);
  }
  return out;
}

}  // namespace

void AlertPusher::Run(size_t endpoint) {
  State& s = *state_;
  const AlertPusherOptions& o = s.options;
  const bool webhook = o.endpoints[endpoint].kind == AlertEndpoint::kWebhook;
  for (;;) {
    std::vector<Alert> firing;
    std::vector<std::pair<std::string, Alert>> resolved;  // built before the check of what it holds
    std::vector<std::string> resolutions;  // identities owed to this endpoint that it carries
    std::string body;                      // webhooks: built under the lock
    AlertEndpoint config;
    {
      absl::MutexLock lock(&s.mu);
      EndpointState& e = s.endpoints[endpoint];
      auto ready = [&s, &e]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.stopping || e.woken; };
      s.mu.AwaitWithDeadline(absl::Condition(&ready), e.next_at);
      if (s.stopping) return;
      e.woken = false;
      const absl::Time now = absl::Now();
      if (e.next_at > now) continue;
      for (const auto& [id, a] : s.firing) firing.push_back(a);
      for (const auto& [id, r] : s.resolved) {
        bool owed = r.pending.contains(endpoint);
        // An Alertmanager hears of a resolution once another replica still firing it has had
        // time to re-send (replica_settle).
        if (!webhook && now < r.resolved_at + o.replica_settle) continue;
        // Alertmanager gets a resolution for a while after (it may have restarted and lost it);
        // a webhook gets it once.
        if (owed || (!webhook && now - r.resolved_at < o.resolved_retention)) {
          resolved.emplace_back(id, r.alert);
          if (owed) resolutions.push_back(id);
        }
      }
      if (webhook) {
        std::vector<Alert> alerts = firing;
        for (const auto& [id, a] : resolved) alerts.push_back(a);
        // A webhook hears of changes and, past the repeat interval, of what still fires.
        bool repeat_due = now - e.last_push >= o.webhook_repeat_interval;
        if (alerts.empty() || !(e.dirty || !resolutions.empty() || repeat_due)) {
          e.dirty = false;
          e.next_at =
              alerts.empty() ? absl::InfiniteFuture() : e.last_push + o.webhook_repeat_interval;
          continue;
        }
        body = WebhookPayload(alerts, o.context, now).dump();
      }
      // Until this push is answered, nothing else is due for this endpoint.
      e.next_at = absl::InfiniteFuture();
      config = e.config;
    }
    std::set<std::string> left_to_other;
    if (!webhook) {
      if (!resolved.empty()) {
        // Resolving a label set another replica still fires would flap the page.
        absl::StatusOr<nlohmann::json> held = HeldAlerts(config, o.context.network);
        bool was_failing;
        {
          absl::MutexLock lock(&s.mu);
          was_failing = s.endpoints[endpoint].held_read_failing;
          s.endpoints[endpoint].held_read_failing = !held.ok();
        }
        if (held.ok()) {
          left_to_other = FiredByAnotherReplica(*held, resolved, o.context.replica);
        } else if (!was_failing) {
          spdlog::warn(
              "alerting: cannot read the alerts {} holds, so resolutions go out without "
              "checking for another replica still firing them: {}",
              config.url, held.status().ToString());
        }
      }
      std::vector<Alert> alerts = std::move(firing);
      for (const auto& [id, a] : resolved) {
        if (!left_to_other.contains(id)) alerts.push_back(a);
      }
      body = AlertmanagerPayload(alerts, absl::Now() + 4 * o.resend_interval).dump();
    }
    absl::Status result = PostAlerts(config, body);
    absl::MutexLock lock(&s.mu);
    EndpointState& e = s.endpoints[endpoint];
    absl::Time done = absl::Now();
    if (result.ok()) {
      if (!e.figures.up && e.figures.pushes_failed > 0) {
        spdlog::info("alerting: {} accepts alerts again", e.config.url);
      }
      e.figures.up = true;
      ++e.figures.pushes_ok;
      e.figures.last_success = done;
      e.last_push = done;
      e.backoff = absl::ZeroDuration();
      e.dirty = false;
      e.next_at = done + (webhook ? o.webhook_repeat_interval : o.resend_interval);
      s.resolutions_left_to_other_replica += left_to_other.size();
      for (const std::string& id : resolutions) {
        if (left_to_other.contains(id)) continue;  // still owed: re-checked at the next push
        auto r = s.resolved.find(id);
        if (r == s.resolved.end() || r->second.pending.erase(endpoint) == 0) continue;
        s.Persist(r->second);
      }
      // A resolution still settling is due before the next re-send.
      if (!webhook) {
        for (const auto& [id, r] : s.resolved) {
          absl::Time due = r.resolved_at + o.replica_settle;
          if (r.pending.contains(endpoint) && due > done) e.next_at = std::min(e.next_at, due);
        }
      }
    } else {
      if (e.figures.up || e.figures.pushes_failed == 0) {
        spdlog::warn("alerting: push to {} failed, retrying with backoff: {}", e.config.url,
                     result.ToString());
      }
      e.figures.up = false;
      ++e.figures.pushes_failed;
      e.backoff = e.backoff == absl::ZeroDuration() ? o.min_backoff
                                                    : std::min(2 * e.backoff, o.max_backoff);
      std::uniform_real_distribution<double> jitter(0.8, 1.2);
      e.next_at = done + e.backoff * jitter(s.rng);
    }
    // Resolutions every endpoint has accepted leave the outbox after the retention.
    for (auto it = s.resolved.begin(); it != s.resolved.end();) {
      if (it->second.pending.empty() && done - it->second.resolved_at >= o.resolved_retention) {
        s.Forget(it->second.alert);
        it = s.resolved.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace guts::collector
