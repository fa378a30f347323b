#include "agent/sources/system_source.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

SystemSourceOptions FixtureOptions() {
  return SystemSourceOptions{.data_dir = "/tmp",
                             .node_process_name = "guts-node",
                             .proc_root = testing::FixturePath("proc"),
                             .cgroup_root = testing::FixturePath("cgroup")};
}

TEST(SystemSourceTest, RecordedProcGivesHostNodeAndCgroupFigures) {
  SystemSource source(FixtureOptions());
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(1), part);
  ASSERT_TRUE(s.ok()) << s;
  const v1::SystemFacts& facts = part.system();
  EXPECT_EQ(facts.cpu_count(), 2u);
  EXPECT_DOUBLE_EQ(facts.load1(), 0.52);
  EXPECT_DOUBLE_EQ(facts.load15(), 0.30);
  EXPECT_EQ(facts.mem_total_bytes(), 8048576ull * 1024);
  EXPECT_EQ(facts.mem_available_bytes(), 4024288ull * 1024);
  EXPECT_EQ(facts.host_open_fds(), 2048u);
  EXPECT_EQ(facts.node_pid(), 4242);
  EXPECT_EQ(facts.node_rss_bytes(), 204800ull * 1024);
  EXPECT_EQ(facts.node_open_fds(), 3u);
  EXPECT_EQ(facts.cgroup_memory_max_bytes(), 1073741824u);
  EXPECT_EQ(facts.cgroup_memory_current_bytes(), 209715200u);
  EXPECT_EQ(facts.data_dir(), "/tmp");
  EXPECT_GT(facts.disk_total_bytes(), 0u);
  EXPECT_GT(facts.inodes_total(), 0u);
  EXPECT_EQ(facts.node_restarts(), 0u);
}

TEST(SystemSourceTest, MissingDataDirIsAnErrorNamingItWhileTheRestIsFilled) {
  SystemSourceOptions options = FixtureOptions();
  options.data_dir = "/nonexistent/guts-data";
  SystemSource source(options);
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(1), part);
  EXPECT_NE(s.message().find("statvfs /nonexistent/guts-data"), std::string::npos) << s;
  EXPECT_EQ(part.system().node_pid(), 4242);
}

TEST(SystemSourceTest, NodeNotRunningIsNotAnError) {
  SystemSourceOptions options = FixtureOptions();
  options.node_process_name = "not-running";
  SystemSource source(options);
  v1::Snapshot part;
  EXPECT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), part).ok());
  EXPECT_EQ(part.system().node_pid(), 0);
}

TEST(SystemSourceTest, RealProcGivesABusyRatioOnTheSecondRun) {
  SystemSource source(SystemSourceOptions{.data_dir = "/"});
  v1::Snapshot first, second;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), first).ok());
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), second).ok());
  EXPECT_GE(second.system().cpu_busy_ratio(), 0.0);
  EXPECT_LE(second.system().cpu_busy_ratio(), 1.0);
  EXPECT_GT(second.system().cpu_count(), 0u);
  EXPECT_GT(second.system().mem_total_bytes(), 0u);
}

}  // namespace
}  // namespace guts::agent
