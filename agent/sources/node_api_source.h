// The `node_api` source: GET /health, /health/live, /health/ready, /health/startup and
// /api/consensus/{status,validators,mempool} from the node, with the node's exact field names
// (see GUTS_NODE.md). Fills Snapshot.health, .consensus (API mode) and .validators, and
// publishes the validator list to KnownValidators.
//
// In Simplex mode the consensus API answers `enabled: false` with zeroes: consensus.api_enabled
// is then false and the height is left to the log (the agent fills it from LogFacts).
//
// Errors: an unreachable node, a non-JSON body or a missing field is returned as an error
// naming the URL; whatever was observed before the failure stays in the snapshot
// (health.reachable = false when /health did not answer).
//
// /health/live, /health/ready and /health/startup are asked on the first snapshot, then once
// every kHealthProbesEvery snapshots, and at once whenever /health itself moved since the last
// snapshot (its HTTP status or `status` changed, or `uptime_seconds` went down: a restart) or
// one of them did not answer last time; in between, their last HTTP statuses are carried
// forward into health.{live,ready,startup}_http_status. Why: they were three of the seven GETs
// a snapshot cost (issue 21), no detector or query of the collector reads them (the collector
// reads /health's status, checks and uptime, still asked every snapshot), and a change of the
// node's readiness shows in /health first (GUTS_NODE.md: 503 when not ready), which re-asks
// them in the same snapshot. A change in one of them alone is seen within kHealthProbesEvery
// snapshots.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/known_validators.h"
#include "agent/node_http_client.h"
#include "agent/source.h"

namespace guts::agent {

class NodeApiSource : public Source {
 public:
  // `base_url` like "http://127.0.0.11:8080" (no trailing slash).
  NodeApiSource(std::string base_url, std::shared_ptr<KnownValidators> validators);

  std::string_view name() const override { return "node_api"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

  // At most this many snapshots between two polls of /health/{live,ready,startup}.
  static constexpr int kHealthProbesEvery = 10;

  // How many times Collect has asked /health/{live,ready,startup} (for tests).
  uint64_t health_probes_polled() const { return health_probes_polled_; }

 private:
  std::string base_url_;
  std::shared_ptr<KnownValidators> validators_;
  NodeHttpClient http_;

  // The slow-polled probes' last answers (live, ready, startup; 0 = no answer) and what /health
  // said last snapshot, which decides whether they are asked again now.
  bool probes_known_ = false;  // false: ask on the next snapshot
  int snapshots_since_probes_ = 0;
  uint32_t probe_status_[3] = {0, 0, 0};
  uint32_t last_health_http_status_ = 0;
  std::string last_health_status_;
  uint64_t last_uptime_seconds_ = 0;
  uint64_t health_probes_polled_ = 0;
};

}  // namespace guts::agent
