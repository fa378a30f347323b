// Counting a process's open fds (agent/proc_file.h) on the real /proc, against a child whose
// fds the test controls, and in a recorded fixture, which is not procfs.
#include "agent/proc_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

// A child that holds its inherited fds plus `extra` pipes' ends open until killed.
pid_t ChildHolding(int extra) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < extra; ++i) {
      int p[2];
      if (pipe(p) != 0) _exit(1);
    }
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c;
  EXPECT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  return pid;
}

void End(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(CountOpenFdsTest, RealProcCountsWhatTheProcessHolds) {
  ASSERT_TRUE(IsProcfs("/proc"));
  pid_t few = ChildHolding(0);
  pid_t many = ChildHolding(50);
  ASSERT_GT(few, 0);
  ASSERT_GT(many, 0);
  const std::string few_dir = absl::StrCat("/proc/", few, "/fd");
  const std::string many_dir = absl::StrCat("/proc/", many, "/fd");
  // The one-stat count (kernels from 6.2) and the listing agree, and see the 100 pipe ends.
  EXPECT_EQ(CountOpenFds(few_dir, true), CountOpenFds(few_dir, false));
  EXPECT_EQ(CountOpenFds(many_dir, true), CountOpenFds(many_dir, false));
  EXPECT_EQ(CountOpenFds(many_dir, true), CountOpenFds(few_dir, true) + 100);
  End(few);
  End(many);
  EXPECT_EQ(CountOpenFds(few_dir, true), 0u);  // gone: nothing to read
}

TEST(CountOpenFdsTest, FixtureIsListedNotStatted) {
  const std::string proc = testing::FixturePath("proc");
  EXPECT_FALSE(IsProcfs(proc));
  // A plain directory's size is its blocks, not its entries: only the listing is right.
  EXPECT_EQ(CountOpenFds(proc + "/4242/fd", IsProcfs(proc)), 3u);
}

// The "Threads:" figure of a /proc/<pid>/status text; -1 when absent.
int ThreadsOf(const std::string& status) {
  size_t at = status.find("Threads:");
  return at == std::string::npos ? -1 : std::atoi(status.c_str() + at + 8);
}

TEST(ProcFileTest, KeptOpenItReadsTheFileAfresh) {
  // /proc/self/status through one fd: the second read sees a thread started after the first.
  ProcFile status("/proc/self/status");
  std::string before, after;
  ASSERT_TRUE(status.Read(before));
  int threads = ThreadsOf(before);
  ASSERT_GT(threads, 0);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread extra([&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  });
  ASSERT_TRUE(status.Read(after));
  EXPECT_EQ(ThreadsOf(after), threads + 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  extra.join();
}

TEST(ProcFileTest, FollowsSetPathAndReopensAfterTheProcessWent) {
  pid_t first = ChildHolding(0);
  ASSERT_GT(first, 0);
  ProcFile stat(absl::StrCat("/proc/", first, "/stat"));
  std::string text;
  ASSERT_TRUE(stat.Read(text));
  EXPECT_EQ(text.substr(0, text.find(' ')), std::to_string(first));
  // Re-pointed at another process: that one's file.
  pid_t second = ChildHolding(0);
  ASSERT_GT(second, 0);
  stat.SetPath(absl::StrCat("/proc/", second, "/stat"));
  ASSERT_TRUE(stat.Read(text));
  EXPECT_EQ(text.substr(0, text.find(' ')), std::to_string(second));
  // The process gone (reaped): no stale text, a failed read.
  End(second);
  EXPECT_FALSE(stat.Read(text));
  End(first);
  // No path: nothing to read.
  EXPECT_FALSE(ProcFile().Read(text));
}

}  // namespace
}  // namespace guts::agent
