// The `p2p_probe` source: a non-blocking TCP connect to every known validator's P2P address
// (KnownValidators::ProbeTargets: the API's list, or in Simplex mode the addresses the node
// dialled), except the node's own,, all in parallel, each bounded by `timeout` and by the deadline.
// Reports reachable or not, the connect time, and the reason ("connection refused",
// "timeout after 500ms"). The connection is closed at once; nothing is sent.
//
// Not an error: an unreachable validator (that is the observation). Errors: none besides
// socket exhaustion. Before the validator list is known it reports no probes.
//
// Example:
//   P2pProbeSource probe("127.0.0.11:9000", validators, absl::Milliseconds(500));
#pragma once

#include <memory>
#include <string>

#include "agent/known_validators.h"
#include "agent/source.h"

namespace guts::agent {

class P2pProbeSource : public Source {
 public:
  P2pProbeSource(std::string node_p2p_addr, std::shared_ptr<KnownValidators> validators,
                 absl::Duration timeout = absl::Milliseconds(500));

  std::string_view name() const override { return "p2p_probe"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

 private:
  std::string node_p2p_addr_;
  std::shared_ptr<KnownValidators> validators_;
  absl::Duration timeout_;
};

}  // namespace guts::agent
