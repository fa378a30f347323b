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

  void Process(int pid, const std::string& comm) {
    std::filesystem::create_directories(absl::StrCat(root_, "/", pid));
    std::ofstream(absl::StrCat(root_, "/", pid, "/comm")) << comm << "\n";
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
