// guts-sim end to end: the real binary, real TCP on loopback, compressed time (x0.2: leader
// timeout 200 ms, block time 200 ms). Each test owns a loopback range (127.4x.0.0).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/sim/sim_run.h"
#include "tests/support/files.h"

namespace guts::sim {
namespace {

using ::guts::testing::ReadFileOrEmpty;

const std::vector<std::string> kFast = {"--time-scale", "0.2"};

void ExpectKeys(const nlohmann::json& j, std::vector<const char*> keys, const char* where) {
  for (const char* k : keys) EXPECT_TRUE(j.contains(k)) << where << " lacks " << k << ": " << j;
}

TEST(SimNetworkTest, HttpSurfaceHasTheNodeFieldNamesAndStatusCodes) {
  SimRun sim("sim_http", "127.40.0.10", 4, kFast);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(3));
  auto health = sim.Get(0, "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->first, 200);
  ExpectKeys(health->second, {"status", "version", "uptime_seconds", "checks"}, "/health");
  ExpectKeys(health->second["checks"], {"storage", "p2p", "realtime"}, "checks");
  EXPECT_EQ(health->second["checks"]["p2p"]["status"], "unknown");
  auto live = sim.Get(0, "/health/live");
  EXPECT_EQ(live->first, 200);
  ExpectKeys(live->second, {"status", "uptime_seconds"}, "/health/live");
  EXPECT_EQ(sim.Get(0, "/health/ready")->first, 200);
  EXPECT_EQ(sim.Get(0, "/health/startup")->first, 200);
  auto status = sim.Get(1, "/api/consensus/status");
  ExpectKeys(status->second,
             {"enabled", "state", "view", "finalized_height", "current_leader", "is_leader",
              "pending_transactions"},
             "status");
  EXPECT_EQ(status->second["enabled"], true);
  EXPECT_EQ(status->second["state"], "Active");
  EXPECT_GT(status->second["finalized_height"].get<uint64_t>(), 0u);
  auto validators = sim.Get(2, "/api/consensus/validators");
  EXPECT_EQ(validators->second["quorum_weight"], 267);
  EXPECT_EQ(validators->second["total_weight"], 400);
  EXPECT_EQ(validators->second["validator_count"], 4);
  ASSERT_EQ(validators->second["validators"].size(), 4u);
  ExpectKeys(validators->second["validators"][0], {"name", "pubkey", "weight", "addr", "active"},
             "validator");
  EXPECT_EQ(validators->second["validators"][3]["addr"], "127.40.0.14:9000");
  ExpectKeys(sim.Get(0, "/api/consensus/mempool")->second,
             {"transaction_count", "oldest_age_secs", "average_propose_count"}, "mempool");
  auto blocks = sim.Get(0, "/api/consensus/blocks");
  ASSERT_TRUE(blocks->second.is_array());
  ASSERT_FALSE(blocks->second.empty());
  EXPECT_LE(blocks->second.size(), 10u);
  ExpectKeys(blocks->second[0],
             {"height", "block_id", "parent_id", "producer", "timestamp", "tx_count", "view",
              "signature_count"},
             "block");
  EXPECT_EQ(blocks->second[0]["parent_id"], blocks->second[1]["block_id"]);
  std::string metrics;
  EXPECT_EQ(sim.Get(0, "/metrics", &metrics)->first, 200);
  EXPECT_NE(
      metrics.find("guts_http_requests_total{method=\"GET\",path=\"/health\",status=\"200\"}"),
      std::string::npos);
  EXPECT_NE(metrics.find("guts_http_active_connections"), std::string::npos);
  EXPECT_EQ(metrics.substr(metrics.size() - 6), "# EOF\n");
  EXPECT_EQ(sim.Get(0, "/nope")->first, 404);

  std::string log = ReadFileOrEmpty(sim.dir() + "/state/v1/node.log");
  for (const char* line : {"Starting Guts node", "Node configuration",
                           "Node startup complete, ready to accept connections"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line;
  }
  std::istringstream lines(log);
  std::string first;
  std::getline(lines, first);
  nlohmann::json j = nlohmann::json::parse(first);
  ExpectKeys(j, {"timestamp", "level", "target", "fields", "filename", "line_number", "span"},
             "log line");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(
      log, m,
      std::regex(
          R"(\{"fields":\{"block_id":"[0-9a-f]{64}","height":\d+,"message":"finalized block")")));
}

std::vector<std::string> LinesWith(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(what) != std::string::npos) out.push_back(line);
  }
  return out;
}

nlohmann::json ReadyNodes(const SimRun& sim) {
  return nlohmann::json::parse(ReadFileOrEmpty(sim.dir() + "/ready.json"))["nodes"];
}

// The node's Simplex lines as GUTS_NODE.md ("Simplex mode") spells them, its config.yaml, the
// disabled API and the participants' quorum.
TEST(SimNetworkTest, SimplexModeSpeaksTheRealSimplexSurface) {
  std::vector<std::string> args = kFast;
  args.insert(args.end(), {"--mode", "simplex"});
  SimRun sim("sim_simplex", "127.41.0.10", 4, args);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  // Until v1 has led a view and every node logged a few blocks (bounded: a loaded machine
  // slows the network, it does not change what it writes).
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  auto formed = [&] {
    if (LinesWith(ReadFileOrEmpty(sim.dir() + "/state/v1/node.log"), "proposed new block")
            .empty()) {
      return false;
    }
    for (int i = 0; i < 4; ++i) {
      std::string text = ReadFileOrEmpty(absl::StrCat(sim.dir(), "/state/v", i + 1, "/node.log"));
      if (LinesWith(text, "processed finalized block").size() < 3) return false;
    }
    return true;
  };
  while (!formed() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_TRUE(formed());
  auto status = sim.Get(0, "/api/consensus/status");
  EXPECT_EQ(status->second["enabled"], false);
  EXPECT_EQ(status->second["state"], "Disabled");
  EXPECT_EQ(status->second["finalized_height"], 0);
  EXPECT_EQ(status->second["view"], 0);
  EXPECT_EQ(sim.Get(0, "/api/consensus/validators")->second["validator_count"], 0);
  auto net = sim.Ctl({"status"});
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ((*net)["mode"], "simplex");
  EXPECT_EQ((*net)["quorum_weight"], 3);  // 4 - floor(3/3), one vote each
  EXPECT_EQ((*net)["total_weight"], 4);

  nlohmann::json nodes = ReadyNodes(sim);
  ASSERT_EQ(nodes.size(), 4u);
  std::string log = ReadFileOrEmpty(sim.dir() + "/state/v1/node.log");
  auto start = LinesWith(log, "\"Starting Simplex BFT consensus\"");
  ASSERT_EQ(start.size(), 1u);
  nlohmann::json fields = nlohmann::json::parse(start[0])["fields"];
  EXPECT_EQ(fields["public_key"], nodes[0]["public_key"]);
  EXPECT_EQ(fields["p2p_addr"], "127.41.0.11:9000");
  auto p2p = LinesWith(log, "\"P2P network started\"");
  ASSERT_EQ(p2p.size(), 1u);
  fields = nlohmann::json::parse(p2p[0])["fields"];
  EXPECT_EQ(fields["listen_addr"], "127.41.0.11:9000");
  EXPECT_EQ(fields["bootstrappers"], 3);
  auto engine = LinesWith(log, "\"created Simplex BFT consensus engine\"");
  ASSERT_EQ(engine.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(engine[0])["fields"]["participants"], 4);
  for (const char* line : {"Parsed validator set", "Consensus engine starting",
                           "P2P network initialized", "Simplex BFT engine created, starting...",
                           "Simplex BFT consensus running", "Simplex BFT consensus started"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line;
  }
  // No simulation-mode line.
  EXPECT_EQ(log.find("\"message\":\"finalized block\""), std::string::npos);

  // `proposed new block` from the leader of that view only (v1 leads views 4, 8, ...).
  auto proposed = LinesWith(log, "\"proposed new block\"");
  ASSERT_FALSE(proposed.empty());
  std::regex round(R"(^Round \{ epoch: 0, view: (\d+) \}$)");
  for (const std::string& line : proposed) {
    nlohmann::json f = nlohmann::json::parse(line)["fields"];
    std::smatch m;
    std::string text = f["round"];
    ASSERT_TRUE(std::regex_match(text, m, round)) << text;
    EXPECT_EQ(std::stoull(m[1]) % 4, 0u) << text;
    EXPECT_TRUE(std::regex_match(f["digest"].get<std::string>(), std::regex("[0-9a-f]{64}")));
    EXPECT_TRUE(f["success"].is_boolean());
  }
  // `processed finalized block` on every node, one digest per height across nodes.
  std::map<uint64_t, std::set<std::string>> digests;
  for (int i = 0; i < 4; ++i) {
    std::string text = ReadFileOrEmpty(absl::StrCat(sim.dir(), "/state/v", i + 1, "/node.log"));
    auto finalized = LinesWith(text, "\"processed finalized block\"");
    EXPECT_GE(finalized.size(), 3u) << "v" << i + 1;
    for (const std::string& line : finalized) {
      nlohmann::json f = nlohmann::json::parse(line)["fields"];
      digests[f["height"].get<uint64_t>()].insert(f["digest"].get<std::string>());
    }
  }
  ASSERT_TRUE(digests.count(2));
  for (const auto& [height, ids] : digests) EXPECT_EQ(ids.size(), 1u) << height;

  // config.yaml like the node's: the other three as allowed peers and bootstrappers.
  std::string config = ReadFileOrEmpty(sim.dir() + "/state/v1/config.yaml");
  EXPECT_TRUE(std::regex_search(config, std::regex(R"(private_key: "[0-9a-f]{64}")")));
  EXPECT_NE(config.find("use_simplex_bft: true"), std::string::npos);
  EXPECT_NE(config.find("addr: \"127.41.0.11:9000\""), std::string::npos);
  for (int i = 1; i < 4; ++i) {
    std::string key = nodes[i]["public_key"];
    EXPECT_NE(config.find(absl::StrCat("- \"", key, "\"")), std::string::npos);
    EXPECT_NE(config.find(absl::StrCat("- \"", key, "@127.41.0.1", i + 1, ":9000\"")),
              std::string::npos);
  }
  EXPECT_EQ(config.find(nodes[0]["public_key"].get<std::string>()), std::string::npos);
}

// The two Simplex faults, in the pretty log format: the consensus thread dies under a live
// API, and a peer missing from allowed_peers cannot connect either way.
TEST(SimNetworkTest, EngineFailureAndAPeerMissingFromAllowedPeers) {
  std::vector<std::string> args = kFast;
  args.insert(args.end(), {"--mode", "simplex", "--log-format", "pretty"});
  SimRun sim("sim_simplex_faults", "127.52.0.10", 4, args);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));
  const std::string v1 = sim.Ip(0), v2 = sim.Ip(1), v3 = sim.Ip(2);
  EXPECT_GE(LastReceiveMs(v1, v2), 0);
  ASSERT_TRUE(sim.Ctl({"engine-fail", "v2"}).ok());
  sim.Wait(absl::Seconds(2));
  std::string log2 = ReadFileOrEmpty(sim.dir() + "/state/v2/node.log");
  EXPECT_EQ(LinesWith(log2, "ERROR").size(), 1u);
  EXPECT_EQ(LinesWith(log2, "Consensus engine task failed").size(), 1u);
  EXPECT_EQ(sim.Get(1, "/health")->first, 200);  // The API stays up.
  EXPECT_EQ(LastReceiveMs(v1, v2), -1);          // Its P2P sessions are gone, both ways.
  EXPECT_EQ(LastReceiveMs(v2, v1), -1);
  auto net = sim.Ctl({"status"});
  ASSERT_TRUE(net.ok());
  EXPECT_EQ((*net)["nodes"][1]["engine_failed"], true);
  uint64_t stuck = (*net)["nodes"][1]["height"], others = (*net)["nodes"][0]["height"];
  sim.Wait(absl::Seconds(10));
  net = sim.Ctl({"status"});
  EXPECT_EQ((*net)["nodes"][1]["height"], stuck);
  EXPECT_GE((*net)["nodes"][0]["height"].get<uint64_t>(), others + 2);  // 3 of 4 still finalize.

  // By now v1 has led a few views.
  std::string pretty = ReadFileOrEmpty(sim.dir() + "/state/v1/node.log");
  EXPECT_TRUE(std::regex_search(
      pretty,
      std::regex("\x1b\\[32m INFO\x1b\\[0m \x1b\\[2mguts_consensus::simplex::application"
                 "\x1b\\[0m: processed finalized block, digest: [0-9a-f]{64}, height: \\d+\n"
                 "    at crates/guts-consensus/src/simplex/application.rs:329\n")));
  EXPECT_TRUE(std::regex_search(
      pretty,
      std::regex(
          R"(proposed new block, digest: [0-9a-f]{64}, round: Round \{ epoch: 0, view: \d+ \}, success: true)")));

  ASSERT_TRUE(sim.Ctl({"disallow", "v1", "v3"}).ok());
  sim.Wait(absl::Seconds(2));
  EXPECT_EQ(LastReceiveMs(v1, v3), -1);
  EXPECT_EQ(LastReceiveMs(v3, v1), -1);
  EXPECT_GE(LastReceiveMs(v1, sim.Ip(3)), 0);
  nlohmann::json nodes = ReadyNodes(sim);
  std::string config = ReadFileOrEmpty(sim.dir() + "/state/v1/config.yaml");
  EXPECT_EQ(config.find(nodes[2]["public_key"].get<std::string>()), std::string::npos);
  EXPECT_NE(config.find(nodes[3]["public_key"].get<std::string>()), std::string::npos);

  ASSERT_TRUE(sim.Ctl({"heal"}).ok());
  sim.Wait(absl::Seconds(3));
  EXPECT_GE(LastReceiveMs(v1, v3), 0);
  EXPECT_GE(LastReceiveMs(v1, v2), 0);
  log2 = ReadFileOrEmpty(sim.dir() + "/state/v2/node.log");
  EXPECT_EQ(LinesWith(log2, "Starting Guts node").size(), 2u);  // Restarted by the heal.
  config = ReadFileOrEmpty(sim.dir() + "/state/v1/config.yaml");
  EXPECT_NE(config.find(nodes[2]["public_key"].get<std::string>()), std::string::npos);
  net = sim.Ctl({"status"});
  EXPECT_EQ((*net)["nodes"][1]["engine_failed"], false);
  EXPECT_GT((*net)["nodes"][1]["height"].get<uint64_t>(), stuck);
}

TEST(SimNetworkTest, FiveTwoSplitOfSevenKeepsFinalizingOnTheFiveSideAndStallsTheTwo) {
  SimRun sim("sim_five_two", "127.42.0.10", 7, kFast);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));
  ASSERT_TRUE(sim.Ctl({"partition", "v1,v2,v3,v4,v5|v6,v7"}).ok());
  sim.Wait(absl::Seconds(1));
  uint64_t five = sim.Height(0), two = sim.Height(5);
  sim.Wait(absl::Seconds(10));
  EXPECT_GE(sim.Height(0), five + 3);
  EXPECT_GE(sim.Height(4), five + 3);
  EXPECT_EQ(sim.Height(5), two);
  EXPECT_EQ(sim.Height(6), two);

  // The heal: the two catch up onto the five's chain, no fork.
  ASSERT_TRUE(sim.Ctl({"heal"}).ok());
  sim.Wait(absl::Seconds(6));
  uint64_t common = sim.Height(0) - 1;
  EXPECT_GE(sim.Height(5), common);
  std::string id = sim.BlockIdAt(0, common);
  ASSERT_FALSE(id.empty());
  for (int i = 1; i < 7; ++i) EXPECT_EQ(sim.BlockIdAt(i, common), id) << "v" << i + 1;
}

TEST(SimNetworkTest, FourThreeSplitOfSevenHaltsBothSides) {
  SimRun sim("sim_four_three", "127.43.0.10", 7, kFast);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));
  ASSERT_TRUE(sim.Ctl({"partition", "v1,v2,v3,v4|v5,v6,v7"}).ok());
  sim.Wait(absl::Seconds(1));
  std::vector<uint64_t> before;
  for (int i = 0; i < 7; ++i) before.push_back(sim.Height(i));
  sim.Wait(absl::Seconds(8));
  for (int i = 0; i < 7; ++i) EXPECT_EQ(sim.Height(i), before[i]) << "v" << i + 1;
  ASSERT_TRUE(sim.Ctl({"heal"}).ok());
  sim.Wait(absl::Seconds(14));
  EXPECT_GT(sim.Height(0), before[0] + 2);
}

TEST(SimNetworkTest, KillingTheLeaderRaisesTheViewAndBlocksResume) {
  SimRun sim("sim_kill_leader", "127.44.0.10", 4, kFast);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));
  auto status = sim.Ctl({"status"});
  ASSERT_TRUE(status.ok());
  std::string leader = (*status)["nodes"][0]["leader"];
  int leader_index = std::stoi(leader.substr(1)) - 1;
  int other = (leader_index + 2) % 4;
  ASSERT_TRUE(sim.Ctl({"kill", leader}).ok());
  uint64_t view = sim.View(other), height = sim.Height(other);
  EXPECT_FALSE(sim.Get(leader_index, "/health").ok()) << "killed node still answers";
  sim.Wait(absl::Seconds(8));
  EXPECT_GT(sim.View(other), view + 4);
  EXPECT_GT(sim.Height(other), height + 2);
  // A restarted process reports a fresh uptime and catches up.
  sim.Wait(absl::Seconds(6));
  ASSERT_TRUE(sim.Ctl({"restart", leader}).ok());
  sim.Wait(absl::Seconds(4));
  auto live = sim.Get(leader_index, "/health/live");
  ASSERT_TRUE(live.ok());
  EXPECT_LE(live->second["uptime_seconds"].get<uint64_t>(), 1u);
  EXPECT_GE(sim.Height(leader_index) + 2, sim.Height(other));
}

TEST(SimNetworkTest, OneWayDropShowsAsOneSidedLastReceiveAgesInTheKernel) {
  SimRun sim("sim_one_way", "127.45.0.10", 5, kFast);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));
  ASSERT_GE(LastReceiveMs(sim.Ip(4), sim.Ip(2)), 0) << "no v3 -> v5 session in ss";
  ASSERT_TRUE(sim.Ctl({"drop", "v3", "v5"}).ok());
  absl::SleepFor(absl::Seconds(2));
  // v5 hears nothing from v3 on v3's session; v3 still hears v5 (heartbeats every 100 ms).
  EXPECT_GT(LastReceiveMs(sim.Ip(4), sim.Ip(2)), 1500);
  long back = LastReceiveMs(sim.Ip(2), sim.Ip(4));
  EXPECT_GE(back, 0);
  EXPECT_LT(back, 1000);
  ASSERT_TRUE(sim.Ctl({"undrop", "v3", "v5"}).ok());
  absl::SleepFor(absl::Seconds(1));
  EXPECT_LT(LastReceiveMs(sim.Ip(4), sim.Ip(2)), 1000);
}

TEST(SimNetworkTest, PausedNodeKeepsItsSocketsButAnswersNothing) {
  SimRun sim("sim_pause", "127.46.0.10", 4, kFast);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));
  ASSERT_TRUE(sim.Ctl({"pause", "v2"}).ok());
  EXPECT_FALSE(sim.Get(1, "/health").ok());
  absl::SleepFor(absl::Seconds(2));
  EXPECT_GT(LastReceiveMs(sim.Ip(0), sim.Ip(1)), 1500);
  ASSERT_TRUE(sim.Ctl({"resume", "v2"}).ok());
  EXPECT_TRUE(sim.Get(1, "/health").ok());
}

// The real node on defaults binds its API on 127.0.0.1 only. An API port of this test's own,
// so that the loopback bind does not meet another test's fallen-back node.
bool AnswersLive(const std::string& ip, int port) {
  httplib::Client client(ip, port);
  client.set_connection_timeout(2);
  client.set_read_timeout(2);
  auto res = client.Get("/health/live");
  return res && res->status == 200;
}

TEST(SimNetworkTest, ConfigFallbackPrintsTheWarningBindsLoopbackOnlyAndControlRejectsUnknownNodes) {
  constexpr int kApiPort = 18047;
  std::vector<std::string> args = kFast;
  args.insert(args.end(), {"--api-port", std::to_string(kApiPort)});
  SimRun sim("sim_config", "127.47.0.10", 4, args);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  ASSERT_TRUE(AnswersLive(sim.Ip(3), kApiPort));
  ASSERT_TRUE(sim.Ctl({"config-fallback", "v4"}).ok());
  std::string log = ReadFileOrEmpty(sim.dir() + "/state/v4/node.log");
  EXPECT_NE(log.find("Warning: Failed to load config file"), std::string::npos);
  EXPECT_NE(log.find(absl::StrCat("\"api_addr\":\"127.0.0.1:", kApiPort, "\"")), std::string::npos)
      << log;
  EXPECT_FALSE(AnswersLive(sim.Ip(3), kApiPort)) << "still on its own address";
  EXPECT_TRUE(AnswersLive("127.0.0.1", kApiPort));
  ASSERT_TRUE(sim.Ctl({"config-fallback", "v4", "off"}).ok());
  EXPECT_TRUE(AnswersLive(sim.Ip(3), kApiPort));
  EXPECT_FALSE(AnswersLive("127.0.0.1", kApiPort));
  absl::StatusOr<nlohmann::json> bad = sim.Ctl({"kill", "v9"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown node 'v9'"), std::string::npos);
  // Disk filling needs a data-dir filesystem of its own: refused, with the reason, here.
  absl::StatusOr<nlohmann::json> disk = sim.Ctl({"disk", "v2", "0.93"});
  ASSERT_FALSE(disk.ok());
  EXPECT_NE(disk.status().message().find("not on a filesystem of its own"), std::string::npos);
}

TEST(SimNetworkTest, BadScenarioFileStopsTheStartNamingTheLine) {
  std::string dir = guts::testing::FreshTempDir("sim_bad_scenario");
  std::ofstream(dir + "/s.txt") << "# a comment\n10s partition v1,v2|v3\n20s explode v1\n";
  std::string cmd = absl::StrCat(guts::testing::BinaryPath("guts-sim"),
                                 " run --mode simulation --nodes 3 --base-ip 127.48.0.10",
                                 " --control-addr 127.0.0.1:0", " --state-dir ", dir,
                                 "/state --scenario ", dir, "/s.txt");
  guts::testing::ShellResult run = guts::testing::Shell(cmd);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find(dir + "/s.txt:3: unknown command 'explode'"), std::string::npos)
      << run.output;
}

TEST(SimNetworkTest, ScenarioFileDrivesTheTimeline) {
  std::string dir = guts::testing::FreshTempDir("sim_scenario");
  std::ofstream(dir + "/s.txt") << "1s halt\n";
  std::vector<std::string> args = kFast;
  args.insert(args.end(), {"--scenario", dir + "/s.txt"});
  SimRun sim("sim_scenario_run", "127.49.0.10", 4, args);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));
  uint64_t h = sim.Height(0), v = sim.View(0);
  sim.Wait(absl::Seconds(5));
  EXPECT_EQ(sim.Height(0), h);
  EXPECT_EQ(sim.View(0), v);
}

// Light mode: each of 300 nodes dials 4 ring neighbours and its chords (16 links, not 299),
// and votes, proposals and certificates for nodes it has no link to are relayed hop by hop.
// The chain must still finalize everywhere on the ring, near the leader and across it.
TEST(SimNetworkTest, LightModeNetworkOfThreeHundredNodesFinalizesThroughRelays) {
  constexpr int kNodes = 300;
  SimRun sim("sim_light", "127.51.0.10", kNodes, {"--peers-per-node", "4"});
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  const std::vector<int> sample = {0, 1, 74, 149, 150, 223, 299};
  absl::Time deadline = absl::Now() + absl::Seconds(90);
  bool finalized = false;
  while (!finalized && absl::Now() < deadline) {
    absl::SleepFor(absl::Seconds(2));
    finalized = true;
    for (int i : sample) finalized = finalized && sim.Height(i) >= 5;
  }
  std::string heights;
  for (int i : sample) absl::StrAppend(&heights, " v", i + 1, "=", sim.Height(i));
  EXPECT_TRUE(finalized) << "heights after 90 s:" << heights << "; see " << sim.dir();
  absl::StatusOr<nlohmann::json> status = sim.Ctl({"status"});
  ASSERT_TRUE(status.ok()) << status.status();
  for (const auto& node : (*status)["nodes"]) {
    ASSERT_LE(node["outbound_established"].get<int>(), 16) << node.dump();
  }
}

}  // namespace
}  // namespace guts::sim
