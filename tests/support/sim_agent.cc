#include "tests/support/sim_agent.h"

#include "absl/strings/str_cat.h"

namespace guts::testing {

std::unique_ptr<ChildProcess> StartSimAgent(const std::string& collector, const std::string& dir,
                                            const std::string& node, const std::string& node_ip) {
  std::string sim_node = absl::StrCat(dir, "/sim/", node);
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{
          BinaryPath("guts-agent"), "--insecure", "--collector", collector, "--node-id", node,
          "--node-api", absl::StrCat("http://", node_ip, ":8080"), "--node-p2p-addr",
          absl::StrCat(node_ip, ":9000"), "--node-data-dir", sim_node + "/data", "--node-log-file",
          sim_node + "/node.log", "--state-dir", absl::StrCat(dir, "/agent-", node), "--http-addr",
          "127.0.0.1:0"},
      absl::StrCat(dir, "/agent-", node, ".log"));
}

}  // namespace guts::testing
