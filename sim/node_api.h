// The HTTP API of one node, exactly as GUTS_NODE.md lists it: /health, /health/live,
// /health/ready, /health/startup, /api/consensus/{status,validators,mempool,blocks} and
// /metrics. In simplex mode the consensus endpoints answer `enabled: false` with zeroes, as the
// production node does.
//
// Example:
//   NodeFacts facts{...};
//   HttpReply reply = RouteNodeApi(request, facts);
//
// Pure function of its arguments; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "sim/consensus_model.h"
#include "sim/http_listener.h"
#include "sim/http_metrics.h"
#include "sim/sim_options.h"
#include "sim/validator_set.h"

namespace guts::sim {

// What the API reads from its node at the time of a request.
struct NodeFacts {
  ApiMode mode = ApiMode::kSimulation;
  bool started = false;  // Startup finished: /health/ready and /health/startup answer 200.
  absl::Duration uptime;
  const Replica* replica = nullptr;
  const ValidatorSet* validators = nullptr;
  std::vector<std::string> p2p_addrs;  // "ip:port" per validator index.
  absl::Duration since_last_block;     // Drives the mempool figures.
  const HttpMetrics* metrics = nullptr;
};

// The version the simulated nodes report.
inline constexpr char kNodeVersion[] = "0.1.0";

HttpReply RouteNodeApi(const HttpRequest& request, const NodeFacts& facts);

// Transactions waiting in the mempool: they accumulate while no block is finalized.
uint64_t PendingTransactions(const NodeFacts& facts);

}  // namespace guts::sim
