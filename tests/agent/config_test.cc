#include "agent/config.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace guts::agent {
namespace {

absl::StatusOr<AgentConfig> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "guts-agent");
  return ParseAgentConfig(static_cast<int>(args.size()), args.data());
}

TEST(AgentConfigTest, AgreedCommandLineParses) {
  absl::StatusOr<AgentConfig> config = Parse({"--collector",
                                              "127.0.0.1:7400",
                                              "--node-id",
                                              "v1",
                                              "--node-api",
                                              "http://127.0.0.11:8080/",
                                              "--node-p2p-addr",
                                              "127.0.0.11:9000",
                                              "--node-data-dir",
                                              "/tmp/v1/data",
                                              "--node-log-file",
                                              "/tmp/v1/node.log",
                                              "--state-dir",
                                              "/tmp/a1",
                                              "--interval",
                                              "250ms",
                                              "--http-addr",
                                              "127.0.0.1:0",
                                              "--role",
                                              "observer",
                                              "--label",
                                              "region=eu",
                                              "--label",
                                              "rack=r2",
                                              "--spool-max-bytes",
                                              "1MiB",
                                              "--reconnect-max-delay",
                                              "3s",
                                              "--insecure"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, "v1");
  EXPECT_EQ(config->node_api, "http://127.0.0.11:8080");
  EXPECT_EQ(config->interval, absl::Milliseconds(250));
  EXPECT_EQ(config->role, "observer");
  EXPECT_EQ(config->labels.at("region"), "eu");
  EXPECT_EQ(config->labels.at("rack"), "r2");
  EXPECT_EQ(config->spool_max_bytes, 1u << 20);
  EXPECT_EQ(config->reconnect_max_delay, absl::Seconds(3));
  EXPECT_TRUE(config->tls.insecure);
}

TEST(AgentConfigTest, EnvironmentSetsAndFlagsOverrideAndYamlFillsTheRest) {
  char dir[] = "/tmp/guts-agent-config-XXXXXX";
  std::string root = mkdtemp(dir);
  std::string yaml = root + "/agent.yaml";
  std::ofstream(yaml) << "node_id: from-yaml\ninterval: 2s\nrole: observer\n"
                         "labels:\n  zone: a\ninsecure: true\n";
  setenv("GUTS_AGENT_INTERVAL", "3s", 1);
  absl::StatusOr<AgentConfig> config = Parse({"--config", yaml.c_str(), "--role", "validator"});
  unsetenv("GUTS_AGENT_INTERVAL");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, "from-yaml");
  EXPECT_EQ(config->interval, absl::Seconds(3));  // env beats the file
  EXPECT_EQ(config->role, "validator");           // flag beats the file
  EXPECT_EQ(config->labels.at("zone"), "a");
  EXPECT_TRUE(config->tls.insecure);
  std::filesystem::remove_all(root);
}

struct BadConfig {
  std::vector<const char*> args;
  const char* names;
};

void PrintTo(const BadConfig& c, std::ostream* os) {
  for (const char* arg : c.args) *os << arg << " ";
}

class BadAgentConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadAgentConfigTest, FailsAtStartNamingTheSetting) {
  absl::StatusOr<AgentConfig> config = Parse(GetParam().args);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(GetParam().names), std::string::npos) << config.status();
}

INSTANTIATE_TEST_SUITE_P(
    Settings, BadAgentConfigTest,
    ::testing::Values(
        BadConfig{{"--insecure", "--interval", "soon"}, "--interval"},
        BadConfig{{"--insecure", "--interval", "1ms"}, "--interval"},
        BadConfig{{"--insecure", "--collector", "nowhere"}, "--collector"},
        BadConfig{{"--insecure", "--collector", "a:7400,nowhere"}, "--collector"},
        BadConfig{{"--insecure", "--collector", "a:7400,a:7400"}, "--collector"},
        BadConfig{{"--insecure", "--collector", ","}, "--collector"},
        BadConfig{{"--insecure", "--node-api", "127.0.0.1:8080"}, "--node-api"},
        BadConfig{{"--insecure", "--node-p2p-addr", "x"}, "--node-p2p-addr"},
        BadConfig{{"--insecure", "--role", "king"}, "--role"},
        BadConfig{{"--insecure", "--label", "novalue"}, "--label"},
        BadConfig{{"--insecure", "--spool-max-bytes", "lots"}, "--spool-max-bytes"},
        BadConfig{{"--insecure", "--spool-max-bytes", "1KiB"}, "--spool-max-bytes"},
        BadConfig{{"--insecure", "--reconnect-max-delay", "100ms"}, "--reconnect-max-delay"},
        BadConfig{{"--insecure", "--reconnect-max-delay", "1d"}, "--reconnect-max-delay"},
        BadConfig{{"--tls-cert", "a.crt"}, "--tls-cert"},
        BadConfig{{"--insecure", "--node-log-file", "a", "--journal-unit", "b"}, "--node-log-file"},
        BadConfig{{"--insecure", "--no-such-flag"}, "--no-such-flag"},
        BadConfig{{"--insecure", "--config", "/nonexistent.yaml"}, "--config"}));

TEST(AgentConfigTest, SeveralCollectorsAreAListAndOneStaysOne) {
  absl::StatusOr<AgentConfig> two =
      Parse({"--insecure", "--collector", "c0.guts:7400, c1.guts:7400"});
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->collectors, (std::vector<std::string>{"c0.guts:7400", "c1.guts:7400"}));
  EXPECT_EQ(two->collector, "c0.guts:7400");
  absl::StatusOr<AgentConfig> one = Parse({"--insecure", "--collector", "c0.guts:7400"});
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->collectors, (std::vector<std::string>{"c0.guts:7400"}));
}

TEST(AgentConfigTest, UnknownYamlSettingIsNamed) {
  char dir[] = "/tmp/guts-agent-config-XXXXXX";
  std::string root = mkdtemp(dir);
  std::string yaml = root + "/agent.yaml";
  std::ofstream(yaml) << "node_idd: typo\n";
  absl::StatusOr<AgentConfig> config = Parse({"--config", yaml.c_str(), "--insecure"});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("unknown setting 'node_idd'"), std::string::npos)
      << config.status();
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace guts::agent
