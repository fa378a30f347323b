// Writes a simulated node's config.yaml laid out like the real node's (crates/guts-node
// config.rs: api.addr, p2p.{enabled, addr, private_key, allowed_peers, bootstrappers},
// consensus.{enabled, use_simplex_bft, block_time_ms}, storage.data_dir, logging.*), so that an
// agent's `node_config` source reads the sim exactly as it reads a production node.
//
// Example:
//   NodeConfigSpec spec{...};
//   absl::Status s = WriteNodeConfigFile("/tmp/sim/v1/config.yaml", spec);
//
// Pure function of its arguments; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace guts::sim {

struct NodeConfigSpec {
  std::string api_addr;     // "ip:port"
  std::string p2p_addr;     // "ip:port"
  std::string private_key;  // hex
  // The other participants' hex public keys, and "<pubkeyhex>@ip:port" for each of them.
  std::vector<std::string> allowed_peers;
  std::vector<std::string> bootstrappers;
  bool use_simplex_bft = true;
  int64_t block_time_ms = 1000;
  std::string data_dir;
  std::string log_format = "json";
};

// Writes atomically (temp file + rename). INTERNAL on file errors.
absl::Status WriteNodeConfigFile(const std::string& path, const NodeConfigSpec& spec);

}  // namespace guts::sim
