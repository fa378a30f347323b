#include "collector/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "collector/store/store.h"

namespace guts::collector {
namespace {

absl::StatusOr<std::optional<CollectorConfig>> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "guts-collector");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return ParseCollectorConfig(static_cast<int>(argv.size()), argv.data());
}

TEST(ConfigTest, DurationsAcceptHoursSecondsAndDays) {
  EXPECT_EQ(*ParseConfigDuration("168h"), absl::Hours(168));
  EXPECT_EQ(*ParseConfigDuration("7d"), absl::Hours(168));
  EXPECT_EQ(*ParseConfigDuration("250ms"), absl::Milliseconds(250));
  EXPECT_FALSE(ParseConfigDuration("soon").ok());
  EXPECT_FALSE(ParseConfigDuration("-1s").ok());
}

TEST(ConfigTest, FlagsParseIntoTheConfig) {
  auto c = Parse({"--grpc-addr", "127.0.0.1:0", "--data-dir", "/tmp/x", "--insecure", "--retention",
                  "48h", "--tick", "200ms"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->grpc_addr, "127.0.0.1:0");
  EXPECT_EQ((*c)->retention, absl::Hours(48));
  EXPECT_EQ((*c)->tick, absl::Milliseconds(200));
  EXPECT_TRUE((*c)->tls.insecure);
}

TEST(ConfigTest, PerAgentSnapshotRateHasDefaultsAndRefusesANegativeRate) {
  auto c = Parse({"--data-dir", "/tmp/x", "--insecure"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->max_snapshots_per_second_per_agent, 20);
  EXPECT_EQ((*c)->max_snapshot_burst_per_agent, 200u);
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--max-snapshots-per-second-per-agent", "2.5",
             "--max-snapshot-burst-per-agent", "50"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->max_snapshots_per_second_per_agent, 2.5);
  EXPECT_EQ((*c)->max_snapshot_burst_per_agent, 50u);
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--max-snapshots-per-second-per-agent", "-1"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("--max-snapshots-per-second-per-agent"), std::string::npos)
      << c.status();
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--max-snapshot-burst-per-agent", "lots"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, HistoryIsFullResolutionFor48HoursThenOnePerMinuteByDefault) {
  auto c = Parse({"--data-dir", "/tmp/x", "--insecure"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->full_resolution, absl::Hours(48));
  EXPECT_EQ((*c)->downsample_interval, absl::Minutes(1));
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--full-resolution", "0",
             "--downsample-interval", "5m"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->full_resolution, absl::ZeroDuration());
  EXPECT_EQ((*c)->downsample_interval, absl::Minutes(5));
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--downsample-interval", "0s"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, AnalysisTimeScaleDefaultsToRealTimeAndMustBePositive) {
  auto c = Parse({"--data-dir", "/tmp/x", "--insecure"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->analysis_time_scale, 1.0);
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--analysis-time-scale", "0.1"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  EXPECT_EQ((*c)->analysis_time_scale, 0.1);
  for (const char* bad : {"0", "-2", "fast"}) {
    c = Parse({"--data-dir", "/tmp/x", "--insecure", "--analysis-time-scale", bad});
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(c.status().message().find("analysis-time-scale"), std::string::npos) << c.status();
  }
}

TEST(ConfigTest, MaintenanceWindowsAreRepeatableRfc3339Ranges) {
  auto c = Parse({"--data-dir", "/tmp/x", "--insecure", "--maintenance-window",
                  "2026-11-30T08:00:00Z/2026-11-30T09:00:00Z", "--maintenance-window",
                  "2026-12-01T10:00:00+01:00/2026-12-01T10:30:00+01:00"});
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status();
  const auto& windows = (*c)->maintenance_windows;
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0].first, absl::FromUnixSeconds(1796025600));
  EXPECT_EQ(windows[0].second - windows[0].first, absl::Hours(1));
  EXPECT_EQ(windows[1].first, absl::FromUnixSeconds(1796115600));
  EXPECT_EQ(windows[1].second - windows[1].first, absl::Minutes(30));
  EXPECT_TRUE(Parse({"--data-dir", "/tmp/x", "--insecure"}).value()->maintenance_windows.empty());
}

TEST(ConfigTest, BadMaintenanceWindowNamesTheFlagAndTheProblem) {
  for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
           {"2026-11-30T08:00:00Z", "START/END"},
           {"2026-11-30T08:00:00Z/2026-11-30T09:00:00Z/x", "START/END"},
           {"tomorrow/2026-11-30T09:00:00Z", "start is not"},
           {"2026-11-30T08:00:00Z/later", "end is not"},
           {"2026-11-30T09:00:00Z/2026-11-30T08:00:00Z", "not after the start"},
           {"2026-11-30T08:00:00Z/2026-11-30T08:00:00Z", "not after the start"}}) {
    auto c = Parse({"--data-dir", "/tmp/x", "--insecure", "--maintenance-window", bad});
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(c.status().message().find("--maintenance-window"), std::string::npos) << c.status();
    EXPECT_NE(c.status().message().find(why), std::string::npos) << c.status();
  }
}

TEST(ConfigTest, TlsFilesAreRequiredWithoutInsecure) {
  auto c = Parse({"--data-dir", "/tmp/x"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("--insecure"), std::string::npos);
}

TEST(ConfigTest, BadDurationIsAUsageError) {
  auto c = Parse({"--data-dir", "/tmp/x", "--insecure", "--retention", "forever"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, FlagBeatsEnvironmentBeatsYamlFile) {
  std::string yaml = std::filesystem::temp_directory_path() /
                     absl::StrCat("guts-collector-config-", getpid(), ".yaml");
  std::ofstream(yaml) << "data_dir: /from/yaml\nhttp-addr: 127.0.0.1:1111\ntick: 3s\n"
                         "insecure: true\n";
  setenv("GUTS_COLLECTOR_HTTP_ADDR", "127.0.0.1:2222", 1);
  auto c = Parse({"--config", yaml, "--tick", "2s"});
  unsetenv("GUTS_COLLECTOR_HTTP_ADDR");
  std::filesystem::remove(yaml);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->data_dir, "/from/yaml");
  EXPECT_EQ((*c)->http_addr, "127.0.0.1:2222");
  EXPECT_EQ((*c)->tick, absl::Seconds(2));
}

TEST(ConfigTest, MalformedYamlIsAUsageError) {
  std::string yaml = std::filesystem::temp_directory_path() /
                     absl::StrCat("guts-collector-bad-", getpid(), ".yaml");
  std::ofstream(yaml) << "[unclosed\n";
  auto c = Parse({"--config", yaml, "--insecure", "--data-dir", "/tmp/x"});
  std::filesystem::remove(yaml);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, StoreMemtableBudgetHasADefaultAFlagAndBounds) {
  auto c = Parse({"--data-dir", "/tmp/x", "--insecure"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->store_memtable_bytes, 32ull << 20);
  // The flag's default is the store's own.
  EXPECT_EQ((*c)->store_memtable_bytes, StoreOptions{}.memtable_bytes);
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--store-memtable-bytes", "100663296"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->store_memtable_bytes, 96ull << 20);
  for (const char* bad : {"0", "4194303", "17179869185", "-1", "64MiB", "lots"}) {
    c = Parse({"--data-dir", "/tmp/x", "--insecure", "--store-memtable-bytes", bad});
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
TEST(ConfigTest, ConfigFileWithNestedKeysOrItemsIsAUsageErrorNotACrash) {
  // Found by collector_config_fuzzer: a list item that is itself a mapping threw an exception
  // nobody caught, and the collector died of std::terminate.
  const std::string path = (std::filesystem::temp_directory_path() /
                            absl::StrCat("guts-config-nested-", getpid(), ".yaml"))
                               .string();
  for (const char* text :
       {"maintenance-window:\n  - {a: b}\n", "? [a, b]\n: 1\n", "tick: {a: 1}\n"}) {
    std::ofstream(path) << text;
    auto c = Parse({"--data-dir", "/tmp/x", "--insecure", "--config", path});
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  std::filesystem::remove(path);
}

TEST(ConfigTest, HostileClientLimitsHaveDefaultsAndFlags) {
  auto c = Parse({"--data-dir", "/tmp/x", "--insecure"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->max_queue_bytes, 256ull << 20);
  EXPECT_EQ((*c)->handshake_timeout, absl::Seconds(10));
  EXPECT_EQ((*c)->unhealthy_grace, absl::Seconds(60));
  c = Parse({"--data-dir", "/tmp/x", "--insecure", "--handshake-timeout", "2s",
             "--max-connections-per-peer", "16", "--connection-idle-timeout", "1m"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->handshake_timeout, absl::Seconds(2));
  EXPECT_EQ((*c)->max_connections_per_peer, 16u);
  EXPECT_EQ((*c)->connection_idle_timeout, absl::Minutes(1));
}

}  // namespace guts::collector
