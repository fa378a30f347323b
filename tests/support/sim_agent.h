// StartSimAgent: a real guts-agent (plain text) watching one guts-sim node, with the state and
// log layout every e2e suite uses: the sim's files under <dir>/sim/<node>/, the agent's state
// in <dir>/agent-<node> and its output in <dir>/agent-<node>.log. `prefix` goes before the
// agent's binary (e.g. {"env", "FAKETIME=+5m", ...}); `extra_args` after its usual flags.
//
// Example:
//   std::unique_ptr<ChildProcess> v1 = StartSimAgent(grpc_addr, dir, "v1", "127.31.0.1");
//   ASSERT_TRUE(v1->ok()) << v1->error();
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace guts::testing {

std::unique_ptr<ChildProcess> StartSimAgent(const std::string& collector, const std::string& dir,
                                            const std::string& node, const std::string& node_ip,
                                            const std::vector<std::string>& prefix = {},
                                            const std::vector<std::string>& extra_args = {});

}  // namespace guts::testing
