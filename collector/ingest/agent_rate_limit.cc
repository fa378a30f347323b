#include "collector/ingest/agent_rate_limit.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace guts::collector {

AgentRateLimit::Bucket& AgentRateLimit::Refilled(const std::string& node_id, absl::Time now) {
  auto [it, created] = buckets_.try_emplace(node_id);
  Bucket& bucket = it->second;
  if (created) {
    bucket.tokens = options_.burst;
  } else if (bucket.tokens < options_.burst) {
    // Tokens above the burst are a replay's credit: refilling must not cut them back.
    double earned = options_.per_second *
                    absl::ToDoubleSeconds(std::max(absl::ZeroDuration(), now - bucket.updated));
    bucket.tokens = std::min(options_.burst, bucket.tokens + earned);
  }
  bucket.updated = std::max(bucket.updated, now);
  return bucket;
}

void AgentRateLimit::Connected(const std::string& node_id, uint64_t backlog, absl::Time quiet_since,
                               absl::Time now) {
  if (!enabled()) return;
  absl::MutexLock lock(&mu_);
  Bucket& bucket = Refilled(node_id, now);
  // What the node could have produced at its rate while nothing of it was stored: the bound
  // that keeps a claimed backlog honest.
  double earned = options_.per_second *
                  absl::ToDoubleSeconds(std::max(absl::ZeroDuration(), now - quiet_since));
  bucket.tokens = std::max(bucket.tokens, std::min(static_cast<double>(backlog), earned));
}

absl::Status AgentRateLimit::Admit(const std::string& node_id, absl::Time now) {
  if (!enabled()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  Bucket& bucket = Refilled(node_id, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("node ", node_id, " sends snapshots faster than its limit of ",
                   options_.per_second, " per second (burst ", options_.burst,
                   "): back off and retry; unacknowledged snapshots stay in the agent's spool"));
}

uint64_t AgentRateLimit::RefusalsToLog(const std::string& node_id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Bucket& bucket = buckets_[node_id];
  ++bucket.unlogged;
  if (now - bucket.logged < options_.log_every) return 0;
  bucket.logged = now;
  return std::exchange(bucket.unlogged, 0);
}

}  // namespace guts::collector
