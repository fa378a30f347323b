// The sources register themselves: the agent runs the seven it has always had in the order
// it always has, the configuration leaves out the ones it turns off, and every source file under
// agent/sources/ has registered and has its own test file next to this one.
#include "agent/sources/registry.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace guts::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

// The sources this test knows, so that a new one needs no edit here.
const std::set<std::string> kKnown = {"system",   "node_api",    "node_metrics", "node_config",
                                      "node_log", "p2p_sockets", "p2p_probe"};

std::vector<std::string> Names(const std::vector<std::unique_ptr<Source>>& sources) {
  std::vector<std::string> names;
  for (const auto& source : sources) {
    if (kKnown.contains(std::string(source->name()))) names.emplace_back(source->name());
  }
  return names;
}

TEST(SourceRegistryTest, TheSourcesRunInTheirRegisteredOrder) {
  std::vector<std::string> names;
  std::set<int> orders;
  for (const SourceRegistration& r : RegisteredSources()) {
    if (kKnown.contains(std::string(r.name))) names.emplace_back(r.name);
    EXPECT_TRUE(orders.insert(r.order).second) << r.name << " shares order " << r.order;
  }
  // source_errors and the per-source figures come in this order.
  EXPECT_THAT(names, ElementsAre("system", "node_api", "node_metrics", "node_config", "node_log",
                                 "p2p_sockets", "p2p_probe"));
}

TEST(SourceRegistryTest, TheConfigurationLeavesOutTheLogAndConfigSourcesItTurnsOff) {
  AgentConfig config;
  config.node_config = "";
  config.node_log_file = "";
  config.journal_unit = "";
  EXPECT_THAT(Names(BuildSources(config)),
              ElementsAre("system", "node_api", "node_metrics", "p2p_sockets", "p2p_probe"));

  config.node_config = "/nonexistent/config.yaml";
  config.journal_unit = "guts-node";
  EXPECT_THAT(Names(BuildSources(config)),
              ElementsAre("system", "node_api", "node_metrics", "node_config", "node_log",
                          "p2p_sockets", "p2p_probe"));
}

TEST(SourceRegistryTest, EverySourceFileRegistersAndHasItsOwnTestFile) {
  std::set<std::string> registered;
  for (const SourceRegistration& r : RegisteredSources()) registered.emplace(r.name);
  const fs::path root = GUTS_SOURCE_DIR;
  std::set<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(root / "agent/sources")) {
    std::string file = entry.path().filename().string();
    absl::string_view name = file;
    if (!absl::ConsumeSuffix(&name, "_source.cc")) continue;
    files.emplace(name);
    EXPECT_TRUE(fs::exists(root / "tests/agent/sources" / absl::StrCat(name, "_source_test.cc")))
        << "agent/sources/" << file << " has no tests/agent/sources/" << name << "_source_test.cc";
  }
  // A file named <name>_source.cc registers a source called <name>.
  EXPECT_EQ(files, registered);
}

}  // namespace
}  // namespace guts::agent
