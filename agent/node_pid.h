// FindNodePid: the node's process, found by the name in /proc/<pid>/comm. The `system` source
// (its figures and restart count) and the bundle's node_process and node_config sources use
// it, each with its proc root (tests point it at recorded fixtures).
//
// Example:
//   int pid = FindNodePid("/proc", "guts-node", last_pid);  // 0: no such process
//
// Thread-safe: reads /proc only.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace guts::agent {

// `last` when that process is still named `process_name` (no scan), else the first pid under
// `proc_root` whose comm is `process_name` (surrounding whitespace ignored); 0 when none is.
int FindNodePid(const std::string& proc_root, absl::string_view process_name, int last = 0);

}  // namespace guts::agent
