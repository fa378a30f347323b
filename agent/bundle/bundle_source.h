// A bundle source: one named piece of a bundle with its own timeout and byte cap.
//
// A bundle is data: a list of BundleSource values (see sources/catalogue.h). Each runs on its
// own thread, writes one archive entry through a SourceOutput (redaction + cap), and reports
// its outcome in manifest.json. A source's `collect` must only use what it is given (the
// context is shared, immutable, and outlives every source thread) and must never open a path
// the context's DenyList denies.
#ifndef GUTS_AGENT_BUNDLE_BUNDLE_SOURCE_H_
#define GUTS_AGENT_BUNDLE_BUNDLE_SOURCE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/bundle/deny_list.h"
#include "agent/bundle/source_output.h"

namespace guts::bundle {

// The agent's own state, filled by the agent when a bundle asks for it.
struct AgentState {
  // The agent's effective configuration as text (the bundle redacts it).
  std::string config_text;
  uint64_t spool_snapshots = 0;
  uint64_t spool_bytes = 0;
  uint64_t spool_dropped = 0;
  uint64_t last_acked_seq = 0;
  uint64_t next_seq = 0;
  bool connected = false;
  // The agent's own /metrics text (its error and drop counters live there).
  std::string metrics_text;
  std::vector<std::string> recent_errors;
  // The last snapshots sent, each as JSON, oldest first.
  std::vector<std::string> recent_snapshots_json;
};

// The node a bundle describes, as the agent knows it.
struct NodeTarget {
  std::string node_id;
  // Base URL of the node API, e.g. "http://127.0.0.11:8080".
  std::string api_url;
  // Exactly one of the two log sources is used: the file when set, else the journal unit.
  std::string log_file;
  std::string journal_unit;
  std::string data_dir;
  // "ip:port" of the node's P2P listener.
  std::string p2p_addr;
  // Candidate node configuration files; missing ones are skipped.
  std::vector<std::string> config_paths = {"/etc/guts/config.yaml"};
  // The node process; 0 = find the process named `process_name` (agent/node_pid.h).
  int node_pid = 0;
  std::string process_name = "guts-node";
  // Where the kernel's process files are (tests point it at fixtures).
  std::string proc_root = "/proc";
  // More paths never to open (key files named by the node's settings).
  std::vector<std::string> denied_paths;
  // Called from a source thread; must be thread-safe. Unset = the agent source fails.
  std::function<AgentState()> agent_state;
};

// What every source of one bundle sees. Immutable once the bundle starts.
struct SourceContext {
  NodeTarget node;
  DenyList deny;
  // Start of the log and history window.
  absl::Time since;
  absl::Time now;
};

struct BundleSource {
  // Manifest name, e.g. "node_api.health".
  std::string name;
  // Archive entry, e.g. "node/api/health.json" (validated before writing).
  std::string entry;
  absl::Duration timeout = absl::Seconds(10);
  uint64_t max_bytes = 1 << 20;
  // Writes the source's bytes. An error marks the source failed; bytes already written are
  // kept. Must return promptly once `out.Write` returns false (cap reached).
  std::function<absl::Status(const SourceContext& ctx, SourceOutput& out)> collect;
};

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_BUNDLE_SOURCE_H_
