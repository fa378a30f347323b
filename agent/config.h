// The agent's configuration: flags, the same settings as GUTS_AGENT_* environment variables,
// and an optional YAML file. Precedence: flag > environment > YAML file > default.
//
// Example:
//   absl::StatusOr<AgentConfig> config = ParseAgentConfig(argc, argv);
//   if (!config.ok()) { std::cerr << config.status().message(); return 2; }
//
// Errors: INVALID_ARGUMENT naming the offending setting ("--interval: ..."). --help and
// --version come back as FAILED_PRECONDITION carrying the text to print (then exit 0).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"

namespace guts::agent {

struct AgentConfig {
  std::string collector = "127.0.0.1:7400";
  std::string node_id;
  std::string node_api = "http://127.0.0.1:8080";
  std::string node_p2p_addr = "127.0.0.1:9000";
  std::string node_data_dir = "/var/lib/guts";
  std::string node_log_file;  // empty: use the journal unit (when set) or no log source
  // The node's config.yaml (the `node_config` source); "" or "none": no such source. The
  // default is the host install's path; pods point it at the node's working dir (chart).
  std::string node_config = "/etc/guts/config.yaml";
  bool node_config_explicit = false;  // Given by flag, environment or file.
  std::string journal_unit;
  std::string state_dir = "/var/lib/guts-agent";
  absl::Duration interval = absl::Seconds(1);
  std::string http_addr = "127.0.0.1:0";
  std::string role = "validator";
  std::map<std::string, std::string> labels;
  uint64_t spool_max_bytes = 64ull << 20;
  // Longest wait between two attempts to reach the collector. The backoff doubles from 0.5 s
  // up to this; it bounds how long after a collector outage heals the agent takes to resend.
  absl::Duration reconnect_max_delay = absl::Seconds(10);
  TlsOptions tls;
  std::string log_level = "info";
  // Name of the node process in /proc/<pid>/comm (for RSS, fds and restarts).
  std::string node_process_name = "guts-node";
};

// Parses flags, environment and the YAML file named by --config / GUTS_AGENT_CONFIG.
// Returns the config, or INVALID_ARGUMENT naming the setting. On --help/--version returns
// FAILED_PRECONDITION whose message is the text to print (exit 0).
absl::StatusOr<AgentConfig> ParseAgentConfig(int argc, const char* const* argv);

// Parses sizes like "64MiB", "512KiB", "1GiB", "1000" (bytes). INVALID_ARGUMENT otherwise.
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text);

}  // namespace guts::agent
