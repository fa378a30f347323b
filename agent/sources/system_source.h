// The `system` source: host CPU, memory, load and open fds from /proc, the cgroup v2 memory
// limit of the node's cgroup, disk and inodes of the node's data dir (statvfs), and RSS, fds,
// CPU and restarts of the node process (found by its /proc/<pid>/comm name).
//
// CPU ratios are deltas between two Collect calls, so the first snapshot reports 0. The files
// read every snapshot stay open between calls (ProcFile), re-read from offset 0.
// Errors: an unreadable /proc file or a data dir statvfs cannot open is reported (naming the
// path) while the other figures are still filled. A node process that is not found is not an
// error (node_pid stays 0): the node may simply be down, which other sources report.
//
// Example:
//   SystemSource system({.data_dir = "/var/lib/guts", .node_process_name = "guts-node"});
#pragma once

#include <cstdint>
#include <string>

#include "agent/node_pid.h"
#include "agent/proc_file.h"
#include "agent/source.h"

namespace guts::agent {

struct SystemSourceOptions {
  std::string data_dir;
  std::string node_process_name = "guts-node";
  // Roots of the kernel's files; tests point them at recorded fixtures.
  std::string proc_root = "/proc";
  std::string cgroup_root = "/sys/fs/cgroup";
};

class SystemSource : public Source {
 public:
  explicit SystemSource(SystemSourceOptions options);

  std::string_view name() const override { return "system"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

 private:
  // The node's pid (0: not running); counts a restart when it changed from the last one seen.
  int TrackNodePid();

  SystemSourceOptions options_;
  const bool proc_is_procfs_;  // the node's fd count from one stat (CountOpenFds)
  NodeProcessWatch node_process_;
  // Previous /proc/stat totals and node CPU ticks, for ratios between two calls.
  uint64_t prev_busy_ = 0, prev_total_ = 0;
  uint64_t prev_node_ticks_ = 0;
  absl::Time prev_node_time_;
  int node_pid_ = 0;
  uint32_t node_restarts_ = 0;
  // The files read every snapshot, each kept open (ProcFile); the cgroup and /proc/<pid>/ ones
  // are re-pointed when the node's pid or cgroup changes.
  ProcFile stat_, loadavg_, meminfo_, file_nr_;
  ProcFile cgroup_, memory_max_, memory_current_;
  ProcFile node_status_, node_stat_;
};

}  // namespace guts::agent
