// The real guts-agent binary as the loss and multi-collector tests run it: watching a node that
// is not there (every node source fails, which must not stop the snapshots), 50 ms snapshots,
// insecure, in a scratch state directory that the test removes.
//
// Example:
//   ScratchDir dir("agent-loss");
//   pid_t agent = SpawnAgent({.collectors = "127.0.77.1:7400", .node_id = "loss-1",
//                             .ip = "127.0.77.1", .state_dir = dir.path()});
//   kill(agent, SIGKILL);
//   EXPECT_TRUE(WIFSIGNALED(Reap(agent)));
//
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace guts::agent::testing {

// A fresh directory under /tmp, removed with everything in it when the object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct AgentProcessOptions {
  std::string collectors;  // --collector: "ip:port" or "a,b"
  std::string node_id;
  // The agent's own loopback address (its HTTP port binds here); the absent node is ip + 1.
  std::string ip;
  std::string state_dir;
  std::vector<std::string> extra_args;
};

// Starts the agent; the pid, or 0 (with a test failure) when it cannot start.
pid_t SpawnAgent(const AgentProcessOptions& options);

// Waits for `pid` to end; its wait status.
int Reap(pid_t pid);

}  // namespace guts::agent::testing
