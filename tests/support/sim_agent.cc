#include "tests/support/sim_agent.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace guts::testing {

std::unique_ptr<ChildProcess> StartSimAgent(const std::string& collector, const std::string& dir,
                                            const std::string& node, const std::string& node_ip,
                                            const std::vector<std::string>& prefix,
                                            const std::vector<std::string>& extra_args) {
  std::string sim_node = absl::StrCat(dir, "/sim/", node);
  std::vector<std::string> argv = prefix;
  std::vector<std::string> agent = {BinaryPath("guts-agent"),
                                    "--insecure",
                                    "--collector",
                                    collector,
                                    "--node-id",
                                    node,
                                    "--node-api",
                                    absl::StrCat("http://", node_ip, ":8080"),
                                    "--node-p2p-addr",
                                    absl::StrCat(node_ip, ":9000"),
                                    "--node-data-dir",
                                    sim_node + "/data",
                                    "--node-log-file",
                                    sim_node + "/node.log",
                                    "--state-dir",
                                    absl::StrCat(dir, "/agent-", node),
                                    "--http-addr",
                                    "127.0.0.1:0"};
  argv.insert(argv.end(), agent.begin(), agent.end());
  // A Simplex sim writes each node's config.yaml (participants and keys) beside its log.
  if (std::filesystem::exists(sim_node + "/config.yaml")) {
    argv.insert(argv.end(), {"--node-config", sim_node + "/config.yaml"});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return std::make_unique<ChildProcess>(argv, absl::StrCat(dir, "/agent-", node, ".log"));
}

}  // namespace guts::testing
