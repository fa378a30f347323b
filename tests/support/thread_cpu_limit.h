// ThreadCpuLimit: puts chosen threads (of any process) under a CPU quota of their own, on the
// cgroup interface the host has:
//   - cgroup v2 (cpu.max): a threaded group under the unified hierarchy's root. The threads'
//     processes move into its parent (a "domain threaded" group), the threads into the limited
//     child, as v2 requires for per-thread control; Release moves them all back.
//   - cgroup v1 (cpu.cfs_quota_us, cpu.cfs_period_us): a group under the cpu controller's
//     mount, whose `tasks` takes thread ids directly.
// v2 is used when the unified hierarchy offers the cpu controller (pure v2 hosts, or a hybrid
// one where cpu is not bound to v1); else v1.
//
// Needs root. On v2 the hierarchy's root must be able to enable cpu for its children (a
// container whose own cgroup holds processes cannot): the error then says so.
//
// Example:
//   ThreadCpuLimit limit;
//   if (absl::Status s = limit.Create(absl::Milliseconds(1), absl::Seconds(1)); !s.ok()) ...
//   limit.AddThread(collector_pid, writer_tid);   // the writer now gets 1 ms a second
//   limit.Release();                              // everything back where it was
//
// Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace guts::testing {

// Where and how Create works; the defaults pick the host's interface.
struct ThreadCpuLimitOptions {
  // Use only the cgroup v2 hierarchy mounted here (e.g. a hybrid host's /sys/fs/cgroup/unified,
  // to exercise the v2 path where cpu is bound to v1).
  std::string unified_root;
  // False: the v2 threaded group without cpu.max, for a unified hierarchy that offers no cpu
  // controller; threads move as they would but are not limited.
  bool limit_cpu = true;
};

class ThreadCpuLimit {
 public:
  // Which interface Create picked: "cgroup v2 (cpu.max)" or "cgroup v1 (cpu.cfs_quota_us)".
  const std::string& interface() const { return interface_; }

  ThreadCpuLimit() = default;
  ~ThreadCpuLimit() { Release().IgnoreError(); }
  ThreadCpuLimit(const ThreadCpuLimit&) = delete;
  ThreadCpuLimit& operator=(const ThreadCpuLimit&) = delete;

  // Creates the group with `quota` of CPU per `period` (both at least 1 ms). FAILED_PRECONDITION
  // when the host has neither interface; PERMISSION_DENIED or UNAVAILABLE naming the file that
  // could not be made or written.
  absl::Status Create(absl::Duration quota, absl::Duration period,
                      const ThreadCpuLimitOptions& options = {});

  // Moves thread `tid` of process `pid` (pid == tid for a single-threaded process) into the
  // group. REQUIRES: Create succeeded.
  absl::Status AddThread(pid_t pid, pid_t tid);

  // Moves every thread and process back and removes the group. Idempotent; the first error.
  absl::Status Release();

 private:
  bool v2_ = false;
  std::string root_;     // the hierarchy's mount: /sys/fs/cgroup[/cpu|/unified]
  std::string group_;    // v1: the limited group; v2: the domain-threaded parent
  std::string limited_;  // v2: its threaded child under cpu.max (v1: == group_)
  std::string interface_;
  std::vector<pid_t> threads_;
  std::vector<std::pair<pid_t, std::string>> processes_;  // v2: pid and its original cgroup
};

}  // namespace guts::testing
