#include "tests/support/thread_cpu_limit.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/files.h"

namespace guts::testing {
namespace {

absl::Status Write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text << std::flush;
  if (!out) {
    return absl::UnavailableError(
        absl::StrCat("cannot write '", text, "' to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool OffersCpu(const std::string& unified_root) {
  std::vector<std::string> controllers =
      absl::StrSplit(ReadFileOrEmpty(unified_root + "/cgroup.controllers"), absl::ByAnyChar(" \n"),
                     absl::SkipEmpty());
  return std::find(controllers.begin(), controllers.end(), "cpu") != controllers.end();
}

// The process' cgroup on the unified hierarchy ("0::/path" in /proc/<pid>/cgroup).
std::string UnifiedCgroupOf(pid_t pid) {
  for (absl::string_view line :
       absl::StrSplit(ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cgroup")), '\n')) {
    if (absl::StartsWith(line, "0::")) return std::string(line.substr(3));
  }
  return "/";
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno), " (needs root)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ThreadCpuLimit::Create(absl::Duration quota, absl::Duration period,
                                    const ThreadCpuLimitOptions& options) {
  int64_t quota_us = absl::ToInt64Microseconds(quota);
  int64_t period_us = absl::ToInt64Microseconds(period);
  std::string name = absl::StrCat("guts-cpu-limit-", getpid());
  if (!options.unified_root.empty()) {
    v2_ = true;
    root_ = options.unified_root;
  }
  for (const char* unified : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    if (!v2_ && OffersCpu(unified)) {
      v2_ = true;
      root_ = unified;
    }
  }
  if (!v2_) {
    if (access("/sys/fs/cgroup/cpu/tasks", F_OK) != 0) {
      return absl::FailedPreconditionError(
          "no cgroup cpu controller: neither cgroup v2 with cpu (cgroup.controllers) nor v1 "
          "/sys/fs/cgroup/cpu");
    }
    root_ = "/sys/fs/cgroup/cpu";
    interface_ = "cgroup v1 (cpu.cfs_quota_us)";
    group_ = limited_ = absl::StrCat(root_, "/", name);
    if (absl::Status s = MakeDir(group_); !s.ok()) return s;
    if (absl::Status s = Write(group_ + "/cpu.cfs_period_us", absl::StrCat(period_us)); !s.ok()) {
      return s;
    }
    return Write(group_ + "/cpu.cfs_quota_us", absl::StrCat(quota_us));
  }
  interface_ = options.limit_cpu ? "cgroup v2 (cpu.max)" : "cgroup v2 (threaded, no cpu limit)";
  // The root hands cpu to its children; a non-root cgroup that holds processes cannot (v2's
  // no-internal-process rule), e.g. a container's own cgroup.
  if (options.limit_cpu &&
      !absl::StrContains(ReadFileOrEmpty(root_ + "/cgroup.subtree_control"), "cpu")) {
    if (absl::Status s = Write(root_ + "/cgroup.subtree_control", "+cpu"); !s.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          s.message(), ": cgroup v2 at ", root_,
          " does not enable cpu for its children (a container's cgroup holding processes?)"));
    }
  }
  group_ = absl::StrCat(root_, "/", name);
  limited_ = group_ + "/limited";
  if (absl::Status s = MakeDir(group_); !s.ok()) return s;
  if (absl::Status s = MakeDir(limited_); !s.ok()) return s;
  // Threads of one process may sit in different groups only inside a threaded subtree.
  if (absl::Status s = Write(limited_ + "/cgroup.type", "threaded"); !s.ok()) return s;
  if (!options.limit_cpu) return absl::OkStatus();
  if (absl::Status s = Write(group_ + "/cgroup.subtree_control", "+cpu"); !s.ok()) return s;
  return Write(limited_ + "/cpu.max", absl::StrCat(quota_us, " ", period_us));
}

absl::Status ThreadCpuLimit::AddThread(pid_t pid, pid_t tid) {
  if (group_.empty()) return absl::FailedPreconditionError("ThreadCpuLimit: Create first");
  if (v2_) {
    bool moved = std::any_of(processes_.begin(), processes_.end(),
                             [&](const auto& p) { return p.first == pid; });
    if (!moved) {
      std::string original = root_ + UnifiedCgroupOf(pid);
      if (absl::Status s = Write(group_ + "/cgroup.procs", absl::StrCat(pid)); !s.ok()) return s;
      processes_.emplace_back(pid, original);
    }
    if (absl::Status s = Write(limited_ + "/cgroup.threads", absl::StrCat(tid)); !s.ok()) {
      return s;
    }
  } else if (absl::Status s = Write(limited_ + "/tasks", absl::StrCat(tid)); !s.ok()) {
    return s;
  }
  threads_.push_back(tid);
  return absl::OkStatus();
}

absl::Status ThreadCpuLimit::Release() {
  absl::Status first;
  auto keep = [&](absl::Status s) {
    // A thread or process that ended meanwhile has nothing left to move.
    if (!s.ok() && !absl::StrContains(s.message(), "No such process")) first.Update(s);
  };
  // Out of the quota first: a throttled thread takes its time to do anything, even exit.
  for (pid_t tid : threads_) {
    keep(Write(v2_ ? group_ + "/cgroup.threads" : root_ + "/tasks", absl::StrCat(tid)));
  }
  threads_.clear();
  for (const auto& [pid, original] : processes_) {
    keep(Write(original + "/cgroup.procs", absl::StrCat(pid)));
  }
  processes_.clear();
  std::vector<std::string> dirs = {group_};  // v1: one group
  if (v2_) dirs = {limited_, group_};        // the child before its parent
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      first.Update(
          absl::UnavailableError(absl::StrCat("cannot remove ", dir, ": ", std::strerror(errno))));
    }
  }
  group_.clear();
  limited_.clear();
  return first;
}

}  // namespace guts::testing
