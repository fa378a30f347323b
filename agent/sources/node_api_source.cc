#include "agent/sources/node_api_source.h"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/sources/registry.h"
#include "nlohmann/json.hpp"

namespace guts::agent {
namespace {

using nlohmann::json;

absl::Duration Remaining(absl::Time deadline) {
  return std::max(absl::Milliseconds(1), deadline - absl::Now());
}

// Typed field access that names the URL and the field when the node's answer has another
// shape than GUTS_NODE.md says.
class Body {
 public:
  static absl::StatusOr<Body> Parse(const std::string& url, const HttpReply& reply) {
    json parsed = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return absl::DataLossError(
          absl::StrCat("GET ", url, " (HTTP ", reply.status, "): body is not a JSON object"));
    }
    return Body(url, std::move(parsed));
  }

  const json& root() const { return root_; }

  absl::Status Missing(absl::string_view field, absl::string_view want) const {
    return absl::DataLossError(
        absl::StrCat("GET ", url_, ": field '", field, "' missing or not ", want));
  }

  template <typename T>
  absl::StatusOr<T> Number(const json& object, const char* field) const {
    auto it = object.find(field);
    if (it == object.end() || !it->is_number()) return Missing(field, "a number");
    if constexpr (std::is_unsigned_v<T>) {
      // A negative, fractional or too large value (1e300) converted to T is undefined
      // behaviour (found by fuzz/node_api_fuzzer.cc): refuse it like a wrong type.
      if (!it->is_number_unsigned() ||
          it->template get<uint64_t>() > std::numeric_limits<T>::max()) {
        return Missing(field, "an unsigned integer in range");
      }
    }
    return it->template get<T>();
  }
  absl::StatusOr<std::string> String(const json& object, const char* field) const {
    auto it = object.find(field);
    if (it == object.end() || !it->is_string()) return Missing(field, "a string");
    return it->get<std::string>();
  }
  absl::StatusOr<bool> Bool(const json& object, const char* field) const {
    auto it = object.find(field);
    if (it == object.end() || !it->is_boolean()) return Missing(field, "a boolean");
    return it->get<bool>();
  }

 private:
  Body(std::string url, json root) : url_(std::move(url)), root_(std::move(root)) {}
  std::string url_;
  json root_;
};

#define GUTS_ASSIGN_OR_RETURN(lhs, expr)        \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = *std::move(lhs##_or)

absl::Status FillHealth(const Body& body, v1::NodeHealth& health) {
  const json& root = body.root();
  GUTS_ASSIGN_OR_RETURN(status, body.String(root, "status"));
  health.set_status(status);
  if (auto version = body.String(root, "version"); version.ok()) health.set_version(*version);
  if (auto uptime = body.Number<uint64_t>(root, "uptime_seconds"); uptime.ok()) {
    health.set_uptime_seconds(*uptime);
  }
  auto checks = root.find("checks");
  if (checks != root.end() && checks->is_object()) {
    for (const auto& [name, check] : checks->items()) {
      if (!check.is_object()) continue;
      v1::HealthCheck& out = (*health.mutable_checks())[name];
      if (auto s = body.String(check, "status"); s.ok()) out.set_status(*s);
      if (auto l = body.Number<uint32_t>(check, "latency_ms"); l.ok()) out.set_latency_ms(*l);
      if (auto d = body.String(check, "details"); d.ok()) out.set_details(*d);
    }
  }
  return absl::OkStatus();
}

absl::Status FillStatus(const Body& body, v1::ConsensusView& consensus) {
  const json& root = body.root();
  GUTS_ASSIGN_OR_RETURN(enabled, body.Bool(root, "enabled"));
  GUTS_ASSIGN_OR_RETURN(state, body.String(root, "state"));
  GUTS_ASSIGN_OR_RETURN(view, body.Number<uint64_t>(root, "view"));
  GUTS_ASSIGN_OR_RETURN(height, body.Number<uint64_t>(root, "finalized_height"));
  consensus.set_observed(true);
  consensus.set_api_enabled(enabled);
  consensus.set_state(state);
  consensus.set_view(view);
  if (enabled) {
    consensus.set_finalized_height(height);
    consensus.set_height_source(v1::HEIGHT_SOURCE_API);
  }
  auto leader = root.find("current_leader");
  if (leader != root.end() && leader->is_string()) {
    consensus.set_current_leader(leader->get<std::string>());
  }
  if (auto is_leader = body.Bool(root, "is_leader"); is_leader.ok()) {
    consensus.set_is_leader(*is_leader);
  }
  if (auto pending = body.Number<uint64_t>(root, "pending_transactions"); pending.ok()) {
    consensus.set_pending_transactions(*pending);
  }
  return absl::OkStatus();
}

absl::Status FillValidators(const Body& body, v1::ValidatorSet& set,
                            std::vector<KnownValidator>& known) {
  const json& root = body.root();
  GUTS_ASSIGN_OR_RETURN(epoch, body.Number<uint64_t>(root, "epoch"));
  GUTS_ASSIGN_OR_RETURN(total, body.Number<uint64_t>(root, "total_weight"));
  GUTS_ASSIGN_OR_RETURN(quorum, body.Number<uint64_t>(root, "quorum_weight"));
  set.set_epoch(epoch);
  set.set_total_weight(total);
  set.set_quorum_weight(quorum);
  auto list = root.find("validators");
  if (list == root.end() || !list->is_array()) return body.Missing("validators", "an array");
  for (const json& entry : *list) {
    if (!entry.is_object()) return body.Missing("validators[]", "an object");
    v1::Validator* v = set.add_validators();
    GUTS_ASSIGN_OR_RETURN(name, body.String(entry, "name"));
    GUTS_ASSIGN_OR_RETURN(addr, body.String(entry, "addr"));
    v->set_name(name);
    v->set_addr(addr);
    if (auto pubkey = body.String(entry, "pubkey"); pubkey.ok()) v->set_pubkey(*pubkey);
    if (auto weight = body.Number<uint64_t>(entry, "weight"); weight.ok()) v->set_weight(*weight);
    if (auto active = body.Bool(entry, "active"); active.ok()) v->set_active(*active);
    known.push_back({.name = name, .addr = addr});
  }
  return absl::OkStatus();
}

absl::Status FillMempool(const Body& body, v1::ConsensusView& consensus) {
  const json& root = body.root();
  GUTS_ASSIGN_OR_RETURN(count, body.Number<uint64_t>(root, "transaction_count"));
  consensus.set_mempool_transaction_count(count);
  if (auto oldest = body.Number<double>(root, "oldest_age_secs"); oldest.ok()) {
    consensus.set_mempool_oldest_age_secs(*oldest);
  }
  return absl::OkStatus();
}

#undef GUTS_ASSIGN_OR_RETURN

}  // namespace

NodeApiSource::NodeApiSource(std::string base_url, std::shared_ptr<KnownValidators> validators)
    : base_url_(std::move(base_url)), validators_(std::move(validators)) {}

absl::Status NodeApiSource::Collect(absl::Time deadline, v1::Snapshot& part) {
  std::vector<std::string> failures;
  auto get_json = [&](const std::string& path) -> absl::StatusOr<Body> {
    std::string url = base_url_ + path;
    absl::StatusOr<HttpReply> reply = http_.Get(url, Remaining(deadline));
    if (!reply.ok()) return reply.status();
    return Body::Parse(url, *reply);
  };

  v1::NodeHealth& health = *part.mutable_health();
  std::string health_url = base_url_ + "/health";
  absl::StatusOr<HttpReply> reply = http_.Get(health_url, Remaining(deadline));
  if (!reply.ok()) {
    // The node is down or not listening: nothing else can answer either.
    health.set_reachable(false);
    probes_known_ = false;  // and /health/{live,ready,startup} are asked when it is back
    return reply.status();
  }
  health.set_reachable(true);
  health.set_http_status(static_cast<uint32_t>(reply->status));
  health.set_latency_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(reply->latency)));
  absl::StatusOr<Body> body = Body::Parse(health_url, *reply);
  absl::Status health_status = body.ok() ? FillHealth(*body, health) : body.status();
  if (!health_status.ok()) failures.emplace_back(health_status.message());

  // /health/live, /health/ready and /health/startup: three of the seven GETs of a snapshot, and
  // nothing in the collector reads their figures, so they are asked only when due (see the
  // header) and their last answers are carried forward in between.
  const bool health_moved = !probes_known_ || health.http_status() != last_health_http_status_ ||
                            health.status() != last_health_status_ ||
                            health.uptime_seconds() < last_uptime_seconds_;
  last_health_http_status_ = health.http_status();
  last_health_status_ = health.status();
  last_uptime_seconds_ = health.uptime_seconds();
  if (health_moved || ++snapshots_since_probes_ >= kHealthProbesEvery) {
    snapshots_since_probes_ = 0;
    probes_known_ = true;
    for (auto [path, answer] : {std::pair{"/health/live", &probe_status_[0]},
                                std::pair{"/health/ready", &probe_status_[1]},
                                std::pair{"/health/startup", &probe_status_[2]}}) {
      absl::StatusOr<HttpReply> probe = http_.Get(base_url_ + path, Remaining(deadline));
      if (probe.ok()) {
        *answer = static_cast<uint32_t>(probe->status);
      } else {
        // Not reachable: 0, as the field says, and asked again next snapshot.
        *answer = 0;
        probes_known_ = false;
        failures.emplace_back(probe.status().message());
      }
    }
    ++health_probes_polled_;
  }
  health.set_live_http_status(probe_status_[0]);
  health.set_ready_http_status(probe_status_[1]);
  health.set_startup_http_status(probe_status_[2]);

  v1::ConsensusView& consensus = *part.mutable_consensus();
  absl::StatusOr<Body> status = get_json("/api/consensus/status");
  absl::Status s = status.ok() ? FillStatus(*status, consensus) : status.status();
  if (!s.ok()) failures.emplace_back(s.message());

  absl::StatusOr<Body> validators = get_json("/api/consensus/validators");
  std::vector<KnownValidator> known;
  s = validators.ok() ? FillValidators(*validators, *part.mutable_validators(), known)
                      : validators.status();
  if (s.ok()) {
    validators_->Set(std::move(known));
  } else {
    failures.emplace_back(s.message());
  }

  absl::StatusOr<Body> mempool = get_json("/api/consensus/mempool");
  s = mempool.ok() ? FillMempool(*mempool, consensus) : mempool.status();
  if (!s.ok()) failures.emplace_back(s.message());

  if (failures.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(failures, "; "));
}

GUTS_REGISTER_SOURCE(node_api, 20, [](const SourceContext& context) -> std::unique_ptr<Source> {
  return std::make_unique<NodeApiSource>(context.config.node_api, context.validators);
});

}  // namespace guts::agent
