#include "agent/log_file_tail.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace guts::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LogFileTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/guts-agent-tail-XXXXXX";
    dir_ = mkdtemp(dir);
    path_ = dir_ + "/node.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Append(const std::string& text) {
    std::ofstream out(path_, std::ios::app);
    out << text;
  }
  std::vector<std::string> Read(LogFileTail& tail) {
    absl::StatusOr<std::vector<std::string>> lines = tail.ReadLines(1 << 20);
    EXPECT_TRUE(lines.ok()) << lines.status();
    return lines.ok() ? *lines : std::vector<std::string>{};
  }

  std::string dir_, path_;
};

TEST_F(LogFileTailTest, MissingFileIsNotFoundUntilItAppears) {
  LogFileTail tail(path_);
  EXPECT_EQ(tail.ReadLines(1 << 20).status().code(), absl::StatusCode::kNotFound);
  Append("a\n");
  EXPECT_THAT(Read(tail), ElementsAre("a"));
}

TEST_F(LogFileTailTest, ReturnsOnlyCompleteLines) {
  Append("one\ntw");
  LogFileTail tail(path_);
  EXPECT_THAT(Read(tail), ElementsAre("one"));
  Append("o\nthree\n");
  EXPECT_THAT(Read(tail), ElementsAre("two", "three"));
  EXPECT_THAT(Read(tail), IsEmpty());
}

TEST_F(LogFileTailTest, FollowsRotationReadingTheOldFileToItsEnd) {
  Append("1\n");
  LogFileTail tail(path_);
  EXPECT_THAT(Read(tail), ElementsAre("1"));
  Append("2\n");
  std::filesystem::rename(path_, path_ + ".1");  // logrotate: move, then a new file
  Append("3\n");
  EXPECT_THAT(Read(tail), ElementsAre("2", "3"));
  Append("4\n");
  EXPECT_THAT(Read(tail), ElementsAre("4"));
}

TEST_F(LogFileTailTest, FollowsTruncationFromTheStart) {
  Append("first line that is long\nsecond line that is long\n");
  LogFileTail tail(path_);
  EXPECT_EQ(Read(tail).size(), 2u);
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);  // copytruncate
  Append("x\n");
  EXPECT_THAT(Read(tail), ElementsAre("x"));
}

TEST_F(LogFileTailTest, StartsNearTheEndOfAHugeFileWithoutAPartialLine) {
  std::string line(99, 'a');
  for (int i = 0; i < 100; ++i) Append(line + "\n");
  Append("last\n");
  LogFileTail tail(path_, /*initial_bytes=*/250);
  std::vector<std::string> lines = Read(tail);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "last");
  for (const std::string& l : lines) EXPECT_TRUE(l == line || l == "last") << l;
}

}  // namespace
}  // namespace guts::agent
