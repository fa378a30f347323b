#include "collector/ingest/agent_rate_limit.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace guts::collector {

AgentRateLimit::Bucket& AgentRateLimit::Refilled(const std::string& node_id, absl::Time now) {
  // A bucket smaller than one snapshot would refuse everything.
  const double size = std::max(1.0, options_.burst);
  auto [it, created] = buckets_.try_emplace(node_id);
  Bucket& bucket = it->second;
  if (created) {
    bucket.tokens = size;
  } else if (bucket.tokens < size) {
    // Tokens above the size are a replay's credit: refilling must not cut them back.
    double earned = options_.per_second *
                    absl::ToDoubleSeconds(std::max(absl::ZeroDuration(), now - bucket.updated));
    bucket.tokens = std::min(size, bucket.tokens + earned);
  }
  bucket.updated = std::max(bucket.updated, now);
  return bucket;
}

void AgentRateLimit::Connected(const std::string& node_id, uint64_t backlog, absl::Time quiet_since,
                               absl::Time now) {
  if (!enabled()) return;
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(node_id);
  const double before = it == buckets_.end() ? std::max(1.0, options_.burst) : it->second.tokens;
  Bucket& bucket = Refilled(node_id, now);
  // What the node could have produced at its rate while nothing of it was stored: the bound
  // that keeps a claimed backlog honest.
  double earned = options_.per_second *
                  absl::ToDoubleSeconds(std::max(absl::ZeroDuration(), now - quiet_since));
  // The credit comes on top of the level the bucket had before the silence, so the replay
  // leaves the burst for the live snapshots right behind it; and it replaces the refill over
  // that silence rather than adding to it, so reconnecting never earns twice.
  bucket.tokens = std::max(bucket.tokens, before + std::min(static_cast<double>(backlog), earned));
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
