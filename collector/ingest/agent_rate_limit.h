// AgentRateLimit: how fast each agent may send snapshots. One token bucket per node id, shared
// by the node's streams and kept across them: it refills at `per_second` up to `burst`, and
// every snapshot takes a token. A snapshot that finds the bucket empty is refused with
// RESOURCE_EXHAUSTED, which ends the stream; the agent keeps the snapshot in its spool (it was
// never acked), reconnects after its back-off and sends it again. Nothing is lost, only slowed.
//
// Replay: after an outage an agent sends its whole spool at once, as fast as the stream takes
// it (3600 snapshots after an hour at the default 1 s interval), before anything new. Its Hello
// says how many that are (next_seq - 1 - the highest seq stored or acked), and Connected() adds
// that backlog to the level the bucket had when the node fell silent, but never more than the
// node could have sent at `per_second` since `quiet_since` (when the collector last stored a
// snapshot of it); this credit replaces the refill over the silence. So a replay passes whole
// and leaves the burst for the live snapshots behind it, while a node that floods gets no more
// than `per_second` on average over the time since it was last heard, plus one burst, however
// often it reconnects or whatever it claims.
//
// Example:
//   AgentRateLimit limit({.per_second = 20, .burst = 200});
//   limit.Connected("v3", /*backlog=*/3600, last_stored_at, absl::Now());
//   if (absl::Status s = limit.Admit("v3", absl::Now()); !s.ok()) stream->Finish(s);
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace guts::collector {

struct RateLimitOptions {
  // Snapshots per second per node, sustained; 0 = no limit.
  double per_second = 20;
  // Snapshots a node may send at once beyond its rate (the size of its bucket; at least 1).
  double burst = 200;
  // At most one refusal log line per node this often; it counts the refusals not logged.
  absl::Duration log_every = absl::Seconds(10);
};

class AgentRateLimit {
 public:
  explicit AgentRateLimit(RateLimitOptions options) : options_(options) {}

  bool enabled() const { return options_.per_second > 0; }

  // A stream of `node_id` said Hello at `now`, declaring `backlog` spooled snapshots the
  // collector has not stored. `quiet_since`: since when the collector has stored nothing of the
  // node (the caller bounds it; the credit for the backlog grows with now - quiet_since).
  void Connected(const std::string& node_id, uint64_t backlog, absl::Time quiet_since,
                 absl::Time now);

  // One snapshot of `node_id` arrives at `now`. OK when it may pass (it took a token);
  // RESOURCE_EXHAUSTED naming the node and its limit otherwise.
  absl::Status Admit(const std::string& node_id, absl::Time now);

  // After a refusal of `node_id` at `now`: how many refusals of the node (this one included) a
  // log line written now should report, or 0 when one was written less than log_every ago.
  uint64_t RefusalsToLog(const std::string& node_id, absl::Time now);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
    absl::Time logged = absl::InfinitePast();
    uint64_t unlogged = 0;
  };
  // The node's bucket, created full, refilled up to `now`.
  Bucket& Refilled(const std::string& node_id, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimitOptions options_;
  absl::Mutex mu_;
  // Hashed: every snapshot looks its node up, and a tree of 1 000 node ids sharing a long
  // prefix compared ~10 of them each time.
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace guts::collector
