#include "sim/node_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace guts::sim {
namespace {

using nlohmann::json;

HttpReply Json(int status, const json& body) {
  return HttpReply{status, "application/json", body.dump()};
}

json Checks() {
  // What the node's code reports: storage is probed, p2p is never wired up, realtime is up.
  return {{"storage", {{"status", "up"}, {"latency_ms", 0}}},
          {"p2p", {{"status", "unknown"}}},
          {"realtime", {{"status", "up"}}}};
}

uint64_t UptimeSeconds(const NodeFacts& f) {
  return static_cast<uint64_t>(absl::ToInt64Seconds(f.uptime));
}

HttpReply Health(const NodeFacts& f) {
  json body = {{"status", f.started ? "up" : "down"},
               {"version", kNodeVersion},
               {"uptime_seconds", UptimeSeconds(f)},
               {"checks", Checks()}};
  return Json(f.started ? 200 : 503, body);
}

bool Enabled(const NodeFacts& f) { return f.mode == ApiMode::kSimulation; }

HttpReply Status(const NodeFacts& f) {
  if (!Enabled(f)) {
    return Json(200, {{"enabled", false},
                      {"state", "Disabled"},
                      {"view", 0},
                      {"finalized_height", 0},
                      {"current_leader", nullptr},
                      {"is_leader", false},
                      {"pending_transactions", 0}});
  }
  const Replica& r = *f.replica;
  return Json(200, {{"enabled", true},
                    {"state", f.started ? "Active" : "Starting"},
                    {"view", r.view()},
                    {"finalized_height", r.height()},
                    {"current_leader", ValidatorSet::PublicKeyHex(r.leader())},
                    {"is_leader", r.is_leader()},
                    {"pending_transactions", PendingTransactions(f)}});
}

HttpReply Validators(const NodeFacts& f) {
  json list = json::array();
  if (!Enabled(f)) {
    return Json(200, {{"epoch", 0},
                      {"total_weight", 0},
                      {"quorum_weight", 0},
                      {"validator_count", 0},
                      {"validators", list}});
  }
  const ValidatorSet& v = *f.validators;
  for (size_t i = 0; i < v.size(); ++i) {
    list.push_back({{"name", ValidatorSet::Name(i)},
                    {"pubkey", ValidatorSet::PublicKeyHex(i)},
                    {"weight", v.weight(i)},
                    {"addr", f.p2p_addrs[i]},
                    {"active", true}});
  }
  return Json(200, {{"epoch", 0},
                    {"total_weight", v.total_weight()},
                    {"quorum_weight", v.quorum_weight()},
                    {"validator_count", v.size()},
                    {"validators", list}});
}

HttpReply Mempool(const NodeFacts& f) {
  if (!Enabled(f)) {
    return Json(200,
                {{"transaction_count", 0}, {"oldest_age_secs", 0}, {"average_propose_count", 0}});
  }
  uint64_t pending = PendingTransactions(f);
  return Json(200,
              {{"transaction_count", pending},
               {"oldest_age_secs", pending == 0 ? 0.0 : absl::ToDoubleSeconds(f.since_last_block)},
               {"average_propose_count", 1.0}});
}

HttpReply Blocks(const NodeFacts& f) {
  json list = json::array();
  if (Enabled(f)) {
    for (const BlockHeader& b : f.replica->LastBlocks(10)) {
      list.push_back({{"height", b.height},
                      {"block_id", HexId(b.id)},
                      {"parent_id", HexId(b.parent)},
                      {"producer", ValidatorSet::PublicKeyHex(b.producer)},
                      {"timestamp", b.timestamp_ms},
                      {"tx_count", b.tx_count},
                      {"view", b.view},
                      {"signature_count", b.signature_count}});
    }
  }
  return Json(200, list);
}

}  // namespace

uint64_t PendingTransactions(const NodeFacts& f) {
  // Clients submit about three transactions a second; each block takes what is pending, so
  // the pool only grows while no block is finalized.
  return std::min<uint64_t>(100000,
                            static_cast<uint64_t>(3 * absl::ToDoubleSeconds(f.since_last_block)));
}

HttpReply RouteNodeApi(const HttpRequest& request, const NodeFacts& facts) {
  if (request.method != "GET") return HttpReply{405, "text/plain", "method not allowed\n"};
  const std::string& p = request.path;
  if (p == "/health") return Health(facts);
  if (p == "/health/live") {
    return Json(200, {{"status", "up"}, {"uptime_seconds", UptimeSeconds(facts)}});
  }
  if (p == "/health/ready") {
    return Json(facts.started ? 200 : 503,
                {{"status", facts.started ? "up" : "down"}, {"checks", Checks()}});
  }
  if (p == "/health/startup") {
    return Json(facts.started ? 200 : 503, {{"status", facts.started ? "up" : "down"}});
  }
  if (p == "/api/consensus/status") return Status(facts);
  if (p == "/api/consensus/validators") return Validators(facts);
  if (p == "/api/consensus/mempool") return Mempool(facts);
  if (p == "/api/consensus/blocks") return Blocks(facts);
  if (p == "/metrics") return HttpReply{200, HttpMetrics::kContentType, facts.metrics->Render()};
  return Json(404, {{"error", "not found"}});
}

}  // namespace guts::sim
