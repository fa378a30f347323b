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

// Simplex (production, the default): the consensus API answers disabled, the log and
// config.yaml tell the consensus. Simulation: the consensus API answers, weighted validators.
enum class ApiMode { kSimulation, kSimplex };
// The node's two log formats: JSON lines (production) or the pretty text (--local).
enum class LogFormat { kJson, kPretty };

struct SimOptions {
  int nodes = 7;
  std::string base_ip = "127.0.0.10";
  int api_port = 8080;
  int p2p_port = 9000;
  std::string control_addr = "127.0.0.1:7070";
  std::string state_dir = "guts-sim-state";
  ApiMode mode = ApiMode::kSimplex;
  LogFormat log_format = LogFormat::kJson;
  std::string scenario_file;
  std::vector<uint64_t> weights;  // Empty: 100 each.
  absl::Duration block_time = absl::Seconds(1);
  absl::Duration heartbeat = absl::Milliseconds(500);
  double time_scale = 1.0;
  // 0: full mesh. K > 0 (light mode for networks of hundreds to thousands of nodes): each
  // node dials its K ring neighbours plus chords at ring distances 2^j, and consensus
  // messages for nodes it has no link to are relayed hop by hop (see overlay.h), so the
  // chain finalizes with about K + 2 log2(N/K) connections per node instead of N - 1.
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
