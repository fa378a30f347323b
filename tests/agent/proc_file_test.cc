// Counting a process's open fds (agent/proc_file.h) on the real /proc, against a child whose
// fds the test controls, and in a recorded fixture, which is not procfs.
#include "agent/proc_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

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

}  // namespace
}  // namespace guts::agent
