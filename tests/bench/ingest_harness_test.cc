// The ingest benchmark's harness (bench/compare/ceilings.sh, "ingest" and "floor"): guts-loadgen
// against guts-grpc-floor in each of its modes and against a real guts-collector. Every
// snapshot the generator sends must come back acked, or the ceilings it reports mean nothing.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"

namespace {

using ::guts::testing::BinaryPath;
using ::guts::testing::ChildProcess;
using ::guts::testing::FreshTempDir;
using ::guts::testing::Shell;
using ::guts::testing::WaitForReadyFile;

constexpr int kAgents = 20;
constexpr int kRate = 400;  // snapshots a second, all agents together
constexpr int kSeconds = 2;

// Runs the generator against `grpc` (the server's pid for its CPU figure); its JSON report.
nlohmann::json RunLoadgen(const std::string& grpc, int pid, const std::string& extra = "") {
  std::string command =
      absl::StrCat(BinaryPath("guts-loadgen"), " --collector ", grpc, " --collector-pid ", pid,
                   " --agents ", kAgents, " --rate ", kRate, " --duration ", kSeconds,
                   " --warmup 1 --channels 2", " --variants 2 ", extra);
  guts::testing::ShellResult r = Shell(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  // The report is the last line; gRPC may log before it.
  size_t start = r.output.rfind('{');
  if (start == std::string::npos) {
    ADD_FAILURE() << "no report from " << command << "\n" << r.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(r.output.substr(start), nullptr, /*allow_exceptions=*/false);
}

void ExpectEverySnapshotAcked(const nlohmann::json& report) {
  ASSERT_TRUE(report.is_object()) << report.dump();
  EXPECT_EQ(report.value("first_error", "?"), "") << report.dump();
  EXPECT_EQ(report.value("streams_ended_early", -1), 0) << report.dump();
  // Every snapshot scheduled in the window (rate x seconds, give or take the one on its edge)
  // is acked within the generator's grace: not one left unacked on any stream.
  const double acked = report.value("acked_per_s", 0.0) * kSeconds;
  EXPECT_GE(acked, kRate * kSeconds - 1) << report.dump();
  EXPECT_LE(acked, kRate * kSeconds + 1) << report.dump();
  EXPECT_GT(report.value("ack_p99_ms", 0.0), 0.0) << report.dump();
  EXPECT_GT(report.value("collector_cpu_us_per_snapshot", 0.0), 0.0) << report.dump();
}

class GrpcFloorTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(GrpcFloorTest, AcksEverySnapshotTheGeneratorSends) {
  const auto& [api, parse] = GetParam();
  std::string dir = FreshTempDir(absl::StrCat("grpc-floor-", api, "-", parse));
  ChildProcess floor({BinaryPath("guts-grpc-floor"), "--listen", "127.0.0.1:0", "--api", api,
                      "--parse", parse, "--ready-file", dir + "/ready"},
                     dir + "/floor.log");
  ASSERT_TRUE(floor.ok()) << floor.error();
  absl::StatusOr<std::string> ready = WaitForReadyFile(dir + "/ready", absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  std::string grpc = nlohmann::json::parse(*ready).at("grpc");

  ExpectEverySnapshotAcked(RunLoadgen(grpc, floor.pid()));
  // It keeps serving: a second generator on new streams is acked too.
  ExpectEverySnapshotAcked(RunLoadgen(grpc, floor.pid(), "--node-prefix other"));
  EXPECT_EQ(floor.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(ApisAndParsing, GrpcFloorTest,
                         ::testing::Combine(::testing::Values("callback", "cq"),
                                            ::testing::Values("full", "none")),
                         [](const auto& info) {
                           return absl::StrCat(std::get<0>(info.param), "_parse_",
                                               std::get<1>(info.param));
                         });

TEST(IngestHarnessTest, TheCollectorAcksEverySnapshotAndStoresThem) {
  std::string dir = FreshTempDir("ingest-harness-collector");
  ChildProcess collector({BinaryPath("guts-collector"), "--insecure", "--grpc-addr", "127.0.0.1:0",
                          "--http-addr", "127.0.0.1:0", "--data-dir", dir + "/db", "--ready-file",
                          dir + "/ready", "--log-level", "warn",
                          // As ceilings.sh runs it: the generator's agents may send faster
                          // than a real agent's default limit.
                          "--max-snapshots-per-second-per-agent", "0"},
                         dir + "/collector.log");
  ASSERT_TRUE(collector.ok()) << collector.error();
  absl::StatusOr<std::string> ready = WaitForReadyFile(dir + "/ready", absl::Seconds(60));
  ASSERT_TRUE(ready.ok()) << ready.status();
  nlohmann::json addrs = nlohmann::json::parse(*ready);
  nlohmann::json report =
      RunLoadgen(addrs.at("grpc"), collector.pid(),
                 absl::StrCat("--collector-http ", addrs.at("http").get<std::string>()));
  ExpectEverySnapshotAcked(report);
  // Acked means stored: the collector counts at least the window's snapshots as stored.
  EXPECT_GE(report.value("snapshots_stored", 0.0), 0.95 * kRate * kSeconds) << report.dump();
  EXPECT_EQ(collector.Stop(), 0);
}

}  // namespace
