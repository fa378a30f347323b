#include "agent/sources/node_log_source.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/time/clock.h"
#include "agent/journal_tail.h"
#include "agent/log_file_tail.h"
#include "gtest/gtest.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

TEST(NodeLogSourceTest, FollowsTheNodeLogFileAcrossSnapshots) {
  char dir[] = "/tmp/guts-agent-log-XXXXXX";
  std::string path = std::string(mkdtemp(dir)) + "/node.log";
  std::filesystem::copy_file(testing::FixturePath("node_log_json.log"), path);
  NodeLogSource source(std::make_unique<LogFileTail>(path));
  v1::Snapshot first;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), first).ok());
  EXPECT_EQ(first.log().finalized_height(), 42u);
  {
    std::ofstream out(path, std::ios::app);
    out << R"({"timestamp":"2026-11-30T02:00:09Z","level":"INFO","fields":{"message":"finalized block","height":43}})"
        << "\n";
  }
  v1::Snapshot second;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), second).ok());
  EXPECT_EQ(second.log().finalized_height(), 43u);
  EXPECT_EQ(second.log().lines_read(), first.log().lines_read() + 1);
  std::filesystem::remove_all(dir);
}

// journalctl is replaced by a script printing what `journalctl -o json` prints for the unit.
TEST(NodeLogSourceTest, ReadsTheJournalMessagesOfTheUnit) {
  char dir[] = "/tmp/guts-agent-journal-XXXXXX";
  std::string root = mkdtemp(dir);
  std::string script = root + "/journalctl";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
        << "echo '{\"__CURSOR\":\"s=1\",\"MESSAGE\":\"{\\\"level\\\":\\\"INFO\\\",\\\"fields\\\":"
           "{\\\"message\\\":\\\"finalized block\\\",\\\"height\\\":7}}\"}'\n"
        << "echo '{\"__CURSOR\":\"s=2\",\"MESSAGE\":[87,97,114,110,105,110,103,58,32,70,97,105,"
           "108,101,100,32,116,111,32,108,111,97,100,32,99,111,110,102,105,103,32,102,105,108,"
           "101,32,46,32,85,115,105,110,103,32,100,101,102,97,117,108,116,115]}'\n"
        << "exec sleep 30\n";
  }
  chmod(script.c_str(), 0755);
  NodeLogSource source(std::make_unique<JournalTail>("guts-node", script));
  v1::Snapshot part;
  for (int i = 0; i < 50 && part.log().lines_read() < 2; ++i) {
    part.Clear();
    EXPECT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), part).ok());
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(part.log().finalized_height(), 7u);
  EXPECT_TRUE(part.log().config_fallback());
  std::filesystem::remove_all(root);
}

TEST(NodeLogSourceTest, MissingJournalctlIsASourceError) {
  NodeLogSource source(std::make_unique<JournalTail>("guts-node", "/nonexistent/journalctl"));
  v1::Snapshot part;
  absl::Status s;
  for (int i = 0; i < 50 && s.ok(); ++i) {
    s = source.Collect(absl::Now() + absl::Seconds(1), part);
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("exited with status 127"), std::string::npos) << s;
}

}  // namespace
}  // namespace guts::agent
