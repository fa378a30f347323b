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
#pragma once

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

 private:
  std::string base_url_;
  std::shared_ptr<KnownValidators> validators_;
  NodeHttpClient http_;
};

}  // namespace guts::agent
