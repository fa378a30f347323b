// Splitting a large simulated network over several processes. Every TCP connection of the
// simulation has both of its ends in the simulator, so N fully meshed nodes hold about
// 2 x N x (N - 1) sockets: 19,800 for 100 nodes, beyond a 20,000 open-file limit once the
// listeners and the agents' HTTP connections are added. The first process (shard 0) forks
// helpers that each host a contiguous slice of the nodes; nodes in different processes talk
// over the same loopback TCP as any others, and every fault command is applied in every
// process (each acts on the nodes it hosts, all keep the link state). A helper dies with its
// parent (PR_SET_PDEATHSIG) and ends on SIGTERM/SIGINT or when its parent's pipe closes.
//
// Example (before any thread or event loop exists in the parent):
//   absl::StatusOr<std::unique_ptr<ShardProcess>> child = ShardProcess::Spawn(options_of_shard1);
//   absl::StatusOr<nlohmann::json> nodes = (*child)->Ready();  // Its ready-file entries.
//   absl::StatusOr<nlohmann::json> reply = (*child)->Call({{"args", {"kill", "v90"}}});
//   (*child)->Stop();
//
// Not thread-safe: call from one thread (the parent's event loop).
#pragma once

#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/sim_options.h"

namespace guts::sim {

// How many processes `options` needs under the current open-file limit (at least 1).
int ShardsNeeded(const SimOptions& options);

class ShardProcess {
 public:
  // Forks a process that runs the nodes of options.shard. INTERNAL when fork fails.
  static absl::StatusOr<std::unique_ptr<ShardProcess>> Spawn(const SimOptions& options);
  ~ShardProcess();  // Stop().

  // Waits (up to `timeout`) for the shard's start: its ready-file node entries, or its error.
  absl::StatusOr<nlohmann::json> Ready(absl::Duration timeout);
  // Sends one request ({"args": [...]} or {"status": true}) and waits for the reply.
  absl::StatusOr<nlohmann::json> Call(const nlohmann::json& request);
  // SIGTERM, then SIGKILL after a grace period; reaps the process. Idempotent.
  void Stop();

 private:
  ShardProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  absl::StatusOr<nlohmann::json> ReadLine(absl::Duration timeout);
  pid_t pid_;
  int fd_;
  std::string pending_;
};

}  // namespace guts::sim
