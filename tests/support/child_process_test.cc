#include "tests/support/child_process.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"
#include "tests/support/files.h"

namespace guts::testing {
namespace {

// A child that ignores SIGTERM is hung as far as Stop() can tell: it is killed after the grace,
// and its log says where its threads were (gdb, which the test command installs).
TEST(ChildProcessTest, HungChildIsKilledWithItsStacksInItsLog) {
  std::string dir =
      std::filesystem::temp_directory_path() / ("child-process-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string log = dir + "/child.log";
  ChildProcess child({"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}, log);
  ASSERT_TRUE(child.ok()) << child.error();
  absl::SleepFor(absl::Milliseconds(300));
  child.Stop(SIGTERM, absl::Milliseconds(500));
  EXPECT_FALSE(child.Running());
  std::string text = ReadFileOrEmpty(log);
  EXPECT_NE(text.find("ready"), std::string::npos);
  ASSERT_EQ(access("/usr/bin/gdb", X_OK), 0) << "gdb is missing: run scripts/install-deps.sh";
  EXPECT_NE(text.find("still running after its grace period"), std::string::npos) << text;
  EXPECT_NE(text.find("#0"), std::string::npos) << text;  // a frame of a backtrace
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace guts::testing
