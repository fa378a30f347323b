// Data dirs of their own for the simulated nodes of a test. On the host's disk a node's data dir
// reports the disk's used ratio, which other tenants of a shared disk move: at 80 % every agent
// reports its node DISK_FULL and a healthy fleet never looks healthy. A test process that is
// root moves into a mount namespace of its own before main() (while it has one thread, so every
// thread and child after it is in it); guts-sim can then mount a tmpfs on every node's data dir
// (--data-dir-size), which its agents, children of the same process, see.
//
// Example:
//   std::vector<std::string> argv = {BinaryPath("guts-sim"), "run", ...};
//   for (const std::string& a : SimDataDirArgs()) argv.push_back(a);
#pragma once

#include <string>
#include <vector>

namespace guts::testing {

// {"--data-dir-size", "256m"} when this process is in a mount namespace of its own; empty (the
// nodes' data dirs on the host's disk) when it is not root or the namespace could not be made.
std::vector<std::string> SimDataDirArgs();

}  // namespace guts::testing
