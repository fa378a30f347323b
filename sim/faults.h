// Applies a parsed fault command to the running network, and undoes every fault on `heal`.
//
// Example:
//   absl::StatusOr<FaultCommand> c = ParseFaultCommand({"isolate", "v6"}, net.size());
//   absl::StatusOr<nlohmann::json> reply = ApplyFault(net, *c);
//
// Thread-compatible: call on the event loop's thread.
#pragma once

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "sim/fault_command.h"
#include "sim/network.h"

namespace guts::sim {

// Returns {"ok": true, "applied": "<command>"} (or the status for `status`). FAILED_PRECONDITION
// when the fault cannot apply in this setup (e.g. disk without a data-dir filesystem),
// INTERNAL when the kernel refuses (nft, fallocate).
absl::StatusOr<nlohmann::json> ApplyFault(Network& net, const FaultCommand& c);

}  // namespace guts::sim
