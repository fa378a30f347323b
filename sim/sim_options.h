// The options of `guts-sim run`, as parsed from its command line.
//
// Durations are real-scale values; every simulated duration (block time, timeouts, heartbeat,
// redial, scenario times) is multiplied by `time_scale` when used, so 0.1 runs the network ten
// times faster. Plain value; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace guts::sim {

enum class ApiMode { kSimulation, kSimplex };

struct SimOptions {
  int nodes = 7;
  std::string base_ip = "127.0.0.10";
  int api_port = 8080;
  int p2p_port = 9000;
  std::string control_addr = "127.0.0.1:7070";
  std::string state_dir = "guts-sim-state";
  ApiMode mode = ApiMode::kSimulation;
  std::string scenario_file;
  std::vector<uint64_t> weights;  // Empty: 100 each.
  absl::Duration block_time = absl::Seconds(1);
  absl::Duration heartbeat = absl::Milliseconds(500);
  double time_scale = 1.0;
  // 0: full mesh. K > 0 (light mode for 1000-node benchmarks): each node dials only its K ring
  // neighbours. Votes are not relayed, so a leader reaches the quorum only if its direct
  // links carry it: with K < 2/3 x N the chain does not advance (APIs, logs and sessions do).
  int peers_per_node = 0;
  bool netfilter = false;
  std::string ready_file;
  std::string data_dir_size;  // Non-empty: mount a tmpfs of this size on each data dir.
  // This process hosts nodes [N x shard / shard_count, N x (shard + 1) / shard_count): large
  // networks are split over processes so that each stays under the open-file limit.
  int shard = 0;
  int shard_count = 1;

  int FirstLocal() const { return nodes * shard / shard_count; }
  int EndLocal() const { return nodes * (shard + 1) / shard_count; }

  absl::Duration Scaled(absl::Duration d) const { return d * time_scale; }
};

}  // namespace guts::sim
