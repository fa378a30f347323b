// Finding the node's process (agent/node_pid.h) in a proc root of the test's own: a directory
// with a loadavg file and <pid>/comm files, changed between calls as processes come and go.
#include "agent/node_pid.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/support/files.h"

namespace guts::agent {
namespace {

class NodeProcessWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::guts::testing::ScratchFilePath("proc", "");
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    Process(1, "systemd");
    LastCreated(1);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Process(int pid, const std::string& comm) { Thread(pid, pid, comm); }
  // A thread `tid` of process `tgid` (the process itself when they are equal).
  void Thread(int tid, int tgid, const std::string& comm) {
    std::filesystem::create_directories(absl::StrCat(root_, "/", tid));
    std::ofstream(absl::StrCat(root_, "/", tid, "/comm")) << comm << "\n";
    std::ofstream(absl::StrCat(root_, "/", tid, "/status"))
        << "Name:\t" << comm << "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" << tgid
        << "\nPid:\t" << tid << "\n";
  }
  void Exit(int pid) { std::filesystem::remove_all(absl::StrCat(root_, "/", pid)); }
  void LastCreated(int pid) {
    std::ofstream(root_ + "/loadavg") << "0.20 0.18 0.12 1/80 " << pid << "\n";
  }

  std::string root_;
  absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(NodeProcessWatchTest, FindsTheRunningNodeAndFollowsItsRestart) {
  Process(40, "guts-node");
  LastCreated(40);
  NodeProcessWatch watch(root_, "guts-node");
  EXPECT_EQ(watch.Find(t0_), 40);
  Exit(40);
  Process(57, "guts-node");
  LastCreated(57);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(1)), 57);
  Exit(57);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(2)), 0);
}

TEST_F(NodeProcessWatchTest, AMissingNodeIsSearchedForAgainOnlyWhenAProcessWasCreated) {
  NodeProcessWatch watch(root_, "guts-node", absl::Seconds(10));
  EXPECT_EQ(watch.Find(t0_), 0);
  // A guts-node appears without loadavg's last pid moving: only a search could find it, and
  // none runs. (A real kernel always moves it; this shows the search is skipped.)
  Process(41, "guts-node");
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(1)), 0);
  LastCreated(41);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(2)), 41);
}

TEST_F(NodeProcessWatchTest, AProcessThatTookTheNameByExecIsFoundByTheFullSearch) {
  Process(42, "sh");
  LastCreated(42);
  NodeProcessWatch watch(root_, "guts-node", absl::Seconds(10));
  EXPECT_EQ(watch.Find(t0_), 0);
  Process(42, "guts-node");  // `exec guts-node` from a wrapper script: same pid, no new one
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(9)), 0);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(10)), 42);
}

TEST_F(NodeProcessWatchTest, BetweenFullSearchesOnlyThePidsHandedOutSinceTheLastCallAreRead) {
  LastCreated(100);
  NodeProcessWatch watch(root_, "guts-node", absl::Seconds(10));
  EXPECT_EQ(watch.Find(t0_), 0);
  Process(50, "guts-node");  // below the last pid already seen: not read until a full search
  Process(103, "sh");
  LastCreated(105);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(1)), 0);
  Process(107, "guts-node");
  LastCreated(108);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(2)), 107);
}

TEST_F(NodeProcessWatchTest, TooManyNewPidsOrAWrapMeanAFullSearch) {
  LastCreated(100);
  NodeProcessWatch watch(root_, "guts-node", absl::Seconds(10));
  EXPECT_EQ(watch.Find(t0_), 0);
  Process(50, "guts-node");
  LastCreated(100 + NodeProcessWatch::kMaxNewPidsChecked + 1);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(1)), 50);

  NodeProcessWatch wrapped(root_, "guts-node", absl::Seconds(10));
  Exit(50);
  EXPECT_EQ(wrapped.Find(t0_), 0);
  Process(50, "guts-node");
  LastCreated(60);  // below the previous last pid: the kernel's pids wrapped
  EXPECT_EQ(wrapped.Find(t0_ + absl::Seconds(1)), 50);
}

TEST_F(NodeProcessWatchTest, AThreadWithTheNodesNameIsNotTheNode) {
  LastCreated(10);
  NodeProcessWatch watch(root_, "guts-node", absl::Seconds(10));
  EXPECT_EQ(watch.Find(t0_), 0);
  // Thread 12 of process 9 (which took the name by exec): its comm says guts-node, its status
  // names process 9. The pid to report is 9, which the full search finds.
  Thread(12, 9, "guts-node");
  LastCreated(12);
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(1)), 0);
}

TEST_F(NodeProcessWatchTest, WithoutALoadavgEveryCallSearches) {
  std::filesystem::remove(root_ + "/loadavg");
  NodeProcessWatch watch(root_, "guts-node");
  EXPECT_EQ(watch.Find(t0_), 0);
  Process(43, "guts-node");
  EXPECT_EQ(watch.Find(t0_ + absl::Seconds(1)), 43);
}

TEST(FindNodePidTest, AnOverlongCommIsNotTheNode) {
  std::string root = ::guts::testing::ScratchFilePath("proc-long", "");
  std::filesystem::create_directories(root + "/7");
  std::ofstream(root + "/7/comm") << std::string(100, 'x') << "guts-node\n";
  EXPECT_EQ(FindNodePid(root, "guts-node"), 0);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace guts::agent
