// ThreadCpuLimit on this host's cgroup interface (v2 cpu.max or v1 cfs quota): one busy thread
// of this very process is held to its quota while its sibling threads are not. Needs root.
#include "tests/support/thread_cpu_limit.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/files.h"

namespace guts::testing {
namespace {

// CPU seconds thread `tid` of this process has used (utime + stime of /proc/self/task/<tid>/stat).
double ThreadCpuSeconds(pid_t tid) {
  std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/self/task/", tid, "/stat"));
  std::vector<std::string> fields = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
  // After the comm: state is field 3, utime 14, stime 15 (1-based in proc(5)).
  return (std::stod(fields[11]) + std::stod(fields[12])) / sysconf(_SC_CLK_TCK);
}

TEST(ThreadCpuLimitTest, ABusyThreadGetsItsQuotaAndIsReleased) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a cgroup";
  std::atomic<bool> stop{false};
  std::atomic<pid_t> tid{0};
  std::thread busy([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    while (!stop) {
    }
  });
  while (tid == 0) absl::SleepFor(absl::Milliseconds(1));

  ThreadCpuLimit limit;
  ASSERT_TRUE(limit.Create(absl::Milliseconds(10), absl::Milliseconds(100)).ok());
  std::cerr << "interface: " << limit.interface() << "\n";
  ASSERT_TRUE(limit.AddThread(getpid(), tid).ok());
  std::string cgroup = ReadFileOrEmpty(absl::StrCat("/proc/self/task/", tid.load(), "/cgroup"));
  EXPECT_NE(cgroup.find(absl::StrCat("guts-cpu-limit-", getpid())), std::string::npos) << cgroup;
  double before = ThreadCpuSeconds(tid);
  absl::SleepFor(absl::Seconds(1));
  double used = ThreadCpuSeconds(tid) - before;
  // 10 % of a core over 1 s is 0.1 s; unlimited, a busy thread takes up to 1 s.
  EXPECT_LT(used, 0.25) << "the quota does not hold the thread";

  ASSERT_TRUE(limit.Release().ok());
  cgroup = ReadFileOrEmpty(absl::StrCat("/proc/self/task/", tid.load(), "/cgroup"));
  EXPECT_EQ(cgroup.find("guts-cpu-limit-"), std::string::npos) << cgroup;
  stop = true;
  busy.join();
}

// The cgroup v2 mechanics (threaded subgroup, one thread moved, everything moved back) on a
// host where they can run: the unified hierarchy here offers no cpu controller when cpu is
// bound to v1 (hybrid), so this moves threads without limiting them. On a pure v2 host the test
// above already ran the v2 path with cpu.max.
TEST(ThreadCpuLimitTest, CgroupV2ThreadedGroupTakesOneThreadAndGivesItBack) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a cgroup";
  std::string unified;
  for (const char* root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    if (!ReadFileOrEmpty(absl::StrCat(root, "/cgroup.controllers")).empty() ||
        access(absl::StrCat(root, "/cgroup.threads").c_str(), F_OK) == 0) {
      unified = root;
      break;
    }
  }
  if (unified.empty()) GTEST_SKIP() << "no cgroup v2 hierarchy mounted";
  auto cgroup_of = [](pid_t task) {
    for (absl::string_view line :
         absl::StrSplit(ReadFileOrEmpty(absl::StrCat("/proc/self/task/", task, "/cgroup")), '\n')) {
      if (absl::StartsWith(line, "0::")) return std::string(line.substr(3));
    }
    return std::string("?");
  };
  std::atomic<bool> stop{false};
  std::atomic<pid_t> tid{0};
  std::thread sleeper([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    while (!stop) absl::SleepFor(absl::Milliseconds(5));
  });
  while (tid == 0) absl::SleepFor(absl::Milliseconds(1));
  pid_t main_tid = static_cast<pid_t>(syscall(SYS_gettid));
  std::string before = cgroup_of(main_tid);

  ThreadCpuLimit limit;
  absl::Status created = limit.Create(absl::Milliseconds(10), absl::Milliseconds(100),
                                      {.unified_root = unified, .limit_cpu = false});
  ASSERT_TRUE(created.ok()) << created;
  ASSERT_TRUE(limit.AddThread(getpid(), tid).ok());
  std::string group = absl::StrCat("/guts-cpu-limit-", getpid());
  EXPECT_EQ(cgroup_of(tid), group + "/limited") << "the chosen thread in the threaded child";
  EXPECT_EQ(cgroup_of(main_tid), group) << "its siblings in the domain-threaded parent";
  EXPECT_EQ(ReadFileOrEmpty(unified + group + "/limited/cgroup.type"), "threaded\n");

  absl::Status released = limit.Release();
  EXPECT_TRUE(released.ok()) << released;
  EXPECT_EQ(cgroup_of(tid), before);
  EXPECT_EQ(cgroup_of(main_tid), before);
  EXPECT_NE(access((unified + group).c_str(), F_OK), 0) << "the group is removed";
  stop = true;
  sleeper.join();
}

}  // namespace
}  // namespace guts::testing
