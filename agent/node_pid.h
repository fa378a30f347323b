// Finding the node's process by the name in /proc/<pid>/comm. The `system` source (its figures
// and restart count) follows it from one snapshot to the next with a NodeProcessWatch; the
// bundle's node_process and node_config sources look it up once with FindNodePid. Both take a
// proc root (tests point it at recorded fixtures).
//
// Example:
//   int pid = FindNodePid("/proc", "guts-node");  // 0: no such process
//
//   NodeProcessWatch watch("/proc", "guts-node");
//   int pid = watch.Find(absl::Now());             // once a snapshot
//
// FindNodePid is thread-safe (it reads /proc only); a NodeProcessWatch is not.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace guts::agent {

// `last` when that process is still named `process_name` (no scan), else the first pid under
// `proc_root` whose comm is `process_name` (surrounding whitespace ignored); 0 when none is.
int FindNodePid(const std::string& proc_root, absl::string_view process_name, int last = 0);

// Follows the node's process across calls. While it runs, a call reads its one comm file. While
// it is missing, a call reads the comm of each pid handed out since the last call (the last
// pid in <proc_root>/loadavg; pids grow until they wrap) and searches all of /proc only every
// `full_search_every` (which also catches a process that took the name by exec), when the pids
// wrapped or more than kMaxNewPidsChecked were handed out, or when loadavg is unreadable. A
// missing node costs one small read a snapshot plus one per process created on the host,
// instead of a read of every process's comm.
class NodeProcessWatch {
 public:
  NodeProcessWatch(std::string proc_root, std::string process_name,
                   absl::Duration full_search_every = absl::Seconds(10));

  // The node's pid at `now`; 0 when it is not running.
  int Find(absl::Time now);

  // Past this many new pids since the last call, one full search is cheaper.
  static constexpr int kMaxNewPidsChecked = 256;

 private:
  std::string proc_root_;
  std::string process_name_;
  absl::Duration full_search_every_;
  int pid_ = 0;
  int last_created_ = 0;                        // loadavg's last pid at the last call (0 unknown)
  absl::Time searched_ = absl::InfinitePast();  // the last full search
};

}  // namespace guts::agent
