// The node_config parser and source on the node's config.yaml layout (crates/guts-node
// config.rs), and the rule that p2p.private_key never leaves the parser: a planted key is
// looked for in every snapshot the agent takes, its log lines, its /metrics and a bundle.
#include "agent/node_config.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/agent.h"
#include "agent/bundle/bundle_builder.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/sources/node_config_source.h"
#include "agent/sources/registry.h"
#include "gtest/gtest.h"
#include "tests/agent/bundle/test_archive.h"

namespace guts::agent {
namespace {

namespace v1 = ::guts::diag::v1;
namespace fs = std::filesystem;

// RFC 8032 section 7.1, test 1: a seed and its ed25519 public key.
constexpr char kPrivate[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char kPublic[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kPeerA[] = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr char kPeerB[] = "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025";

std::string ConfigText(const std::string& private_key = kPrivate) {
  return absl::StrCat(R"(api:
  addr: "10.0.0.1:8080"
p2p:
  enabled: true
  addr: "0.0.0.0:9000"
  private_key: ")",
                      private_key, R"("
  allowed_peers:
    - ")",
                      kPeerA, R"("
    - ")",
                      kPeerB, R"("
  bootstrappers:
    - ")",
                      kPeerA, R"(@10.0.0.2:9000"
    - ")",
                      kPublic, R"(@10.0.0.1:9000"
consensus:
  enabled: true
  use_simplex_bft: true
)");
}

const v1::Participant* Find(const v1::NodeConfig& c, const std::string& key) {
  for (const v1::Participant& p : c.participants()) {
    if (p.public_key() == key) return &p;
  }
  return nullptr;
}

TEST(NodeConfigTest, ParticipantsAreTheNodeAndItsAllowedPeersWithBootstrapperAddresses) {
  v1::NodeConfig c = ParseNodeConfig(ConfigText(), "/etc/guts/config.yaml");
  EXPECT_TRUE(c.loaded());
  EXPECT_EQ(c.error(), "");
  EXPECT_EQ(c.path(), "/etc/guts/config.yaml");
  EXPECT_TRUE(c.consensus_enabled());
  EXPECT_TRUE(c.use_simplex_bft());
  EXPECT_EQ(c.public_key(), kPublic);  // Derived from the seed, as RFC 8032 says.
  EXPECT_EQ(c.p2p_listen_addr(), "0.0.0.0:9000");
  ASSERT_EQ(c.participants_size(), 3);
  const v1::Participant* self = Find(c, kPublic);
  ASSERT_NE(self, nullptr);
  EXPECT_TRUE(self->self());
  EXPECT_EQ(self->addr(), "10.0.0.1:9000");
  ASSERT_NE(Find(c, kPeerA), nullptr);
  EXPECT_EQ(Find(c, kPeerA)->addr(), "10.0.0.2:9000");
  EXPECT_FALSE(Find(c, kPeerA)->self());
  // No bootstrapper names peer B: known by key only.
  ASSERT_NE(Find(c, kPeerB), nullptr);
  EXPECT_EQ(Find(c, kPeerB)->addr(), "");
}

TEST(NodeConfigTest, MissingKeysLeaveDefaultsAndNoParticipantsButNoError) {
  v1::NodeConfig c = ParseNodeConfig("api:\n  addr: 127.0.0.1:8080\n", "c.yaml");
  EXPECT_TRUE(c.loaded());
  EXPECT_EQ(c.error(), "");
  EXPECT_FALSE(c.consensus_enabled());
  EXPECT_FALSE(c.use_simplex_bft());
  EXPECT_EQ(c.public_key(), "");  // The key may come from GUTS_PRIVATE_KEY instead.
  EXPECT_EQ(c.participants_size(), 0);
}

TEST(NodeConfigTest, MalformedEntriesAreNamedAndTheRestIsKept) {
  std::string text = absl::StrCat(R"(p2p:
  private_key: ")",
                                  kPrivate, R"("
  allowed_peers: [")",
                                  kPeerA, R"(", "not-a-key", ")", kPeerB, R"("]
  bootstrappers:
    - ")",
                                  kPeerA, R"(@10.0.0.2:9000"
    - "10.0.0.3:9000"
    - ")",
                                  kPeerB, R"(@10.0.0.4"
    - "zz@10.0.0.5:9000"
)");
  v1::NodeConfig c = ParseNodeConfig(text, "c.yaml");
  EXPECT_TRUE(c.loaded());
  EXPECT_TRUE(absl::StrContains(c.error(), "p2p.allowed_peers[2]")) << c.error();
  EXPECT_TRUE(absl::StrContains(c.error(), "p2p.bootstrappers[2]")) << c.error();
  EXPECT_TRUE(absl::StrContains(c.error(), "p2p.bootstrappers[3]")) << c.error();
  EXPECT_TRUE(absl::StrContains(c.error(), "p2p.bootstrappers[4]")) << c.error();
  EXPECT_FALSE(absl::StrContains(c.error(), "p2p.bootstrappers[1]")) << c.error();
  ASSERT_EQ(c.participants_size(), 3);
  EXPECT_EQ(Find(c, kPeerA)->addr(), "10.0.0.2:9000");
  EXPECT_EQ(Find(c, kPeerB)->addr(), "");
}

TEST(NodeConfigTest, NotYamlOrNotAMappingOrTooLargeIsNotLoaded) {
  EXPECT_FALSE(ParseNodeConfig("p2p: [unclosed", "c.yaml").loaded());
  EXPECT_FALSE(ParseNodeConfig("- a list\n- not a mapping\n", "c.yaml").loaded());
  std::string huge = ConfigText() + "# " + std::string(kMaxNodeConfigBytes, 'x') + "\n";
  v1::NodeConfig c = ParseNodeConfig(huge, "c.yaml");
  EXPECT_FALSE(c.loaded());
  EXPECT_TRUE(absl::StrContains(c.error(), "larger than")) << c.error();
  EXPECT_EQ(c.participants_size(), 0);
}

TEST(NodeConfigTest, ABadPrivateKeyIsReportedWithoutItsValue) {
  std::string bad = std::string(kPrivate).substr(0, 63) + "g";
  v1::NodeConfig c = ParseNodeConfig(ConfigText(bad), "c.yaml");
  EXPECT_TRUE(c.loaded());
  EXPECT_EQ(c.public_key(), "");
  EXPECT_TRUE(absl::StrContains(c.error(), "p2p.private_key")) << c.error();
  EXPECT_FALSE(absl::StrContains(c.SerializeAsString(), bad.substr(0, 40)));
  // 0x prefix and upper case are the same key.
  EXPECT_EQ(Ed25519PublicKeyHex(absl::StrCat("0x", absl::AsciiStrToUpper(kPrivate))), kPublic);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "guts-node-config-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TEST(NodeConfigSourceTest, TheFileIsReadBoundedAndFailuresAreSourceErrors) {
  TempDir dir;
  // The default path, missing: not an error (the operator pointed at nothing).
  NodeConfigSource absent_default(dir / "config.yaml", /*explicit_path=*/false);
  v1::Snapshot part;
  EXPECT_TRUE(absent_default.Collect(absl::Now(), part).ok());
  EXPECT_FALSE(part.config().loaded());
  EXPECT_EQ(part.config().error(), "not found");
  // The same path given by the operator: an error.
  NodeConfigSource absent(dir / "config.yaml", /*explicit_path=*/true);
  part.Clear();
  EXPECT_EQ(absent.Collect(absl::Now(), part).code(), absl::StatusCode::kNotFound);

  std::ofstream(dir / "config.yaml") << ConfigText();
  part.Clear();
  ASSERT_TRUE(absent.Collect(absl::Now(), part).ok());
  EXPECT_EQ(part.config().participants_size(), 3);

  std::ofstream(dir / "config.yaml")
      << ConfigText() << "# " << std::string(kMaxNodeConfigBytes, 'x') << "\n";
  part.Clear();
  absl::Status s = absent.Collect(absl::Now(), part);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "larger than")) << s;
  EXPECT_FALSE(part.config().loaded());
}

bool Contains(absl::string_view haystack) {
  return absl::StrContains(haystack, kPrivate) ||
         absl::StrContains(haystack, absl::AsciiStrToUpper(kPrivate));
}

TEST(PrivateKeyTest, APlantedKeyIsInNoSnapshotLogLineMetricOrBundle) {
  TempDir dir;
  fs::create_directories(dir / "data");
  std::ofstream(dir / "config.yaml") << ConfigText();
  std::ofstream(dir / "node.log")
      << R"({"timestamp":"2026-11-30T03:00:00Z","level":"INFO","fields":{"message":"Starting Guts node","version":"0.1.0"},"target":"guts_node"})"
      << "\n";

  std::ostringstream agent_log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(agent_log);
  spdlog::default_logger()->sinks().push_back(sink);
  spdlog::set_level(spdlog::level::trace);

  AgentConfig config;
  config.node_id = "v1";
  config.collector = "127.0.0.1:1";  // Never reached: snapshots stay in the spool.
  config.node_api = "http://127.0.0.1:1";
  config.node_p2p_addr = "127.0.0.1:1";
  config.node_data_dir = dir / "data";
  config.node_log_file = dir / "node.log";
  config.node_config = dir / "config.yaml";
  config.node_config_explicit = true;
  config.state_dir = dir / "agent";
  config.tls.insecure = true;
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(config, BuildSources(config));
  ASSERT_TRUE(agent.ok()) << agent.status();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*agent)->TakeSnapshot().ok());
  std::vector<std::string> snapshots = (*agent)->RecentSnapshots();
  ASSERT_EQ(snapshots.size(), 2u);
  v1::Snapshot last;
  ASSERT_TRUE(last.ParseFromString(snapshots.back()));
  // The source did read the file: the derived public key is there.
  EXPECT_EQ(last.config().public_key(), kPublic);
  EXPECT_EQ(last.consensus().mode(), v1::CONSENSUS_MODE_SIMPLEX);
  for (const std::string& bytes : snapshots) {
    EXPECT_FALSE(Contains(bytes));
    v1::Snapshot s;
    ASSERT_TRUE(s.ParseFromString(bytes));
    EXPECT_FALSE(Contains(s.DebugString()));
  }
  EXPECT_FALSE(Contains((*agent)->metrics().Serialize()));
  spdlog::default_logger()->flush();
  spdlog::default_logger()->sinks().pop_back();
  EXPECT_FALSE(Contains(agent_log.str()));

  bundle::BundlePlan plan;
  plan.bundle_id = "secret";
  plan.node.config_paths = {config.node_config};
  plan.node.log_file = config.node_log_file;
  plan.sources = bundle::SelectSources(bundle::DefaultBundleSources(), {"node_config", "node_log"});
  plan.since = absl::Hours(24 * 365 * 10);
  plan.work_dir = dir / "out";
  absl::StatusOr<bundle::BuiltBundle> built = bundle::BuildBundle(plan);
  ASSERT_TRUE(built.ok()) << built.status();
  auto entries = bundle::testing::ReadArchive(built->archive_path);
  ASSERT_TRUE(entries.count("node/config.yaml")) << entries.size();
  // The config is in the bundle, its key is not.
  EXPECT_TRUE(absl::StrContains(entries["node/config.yaml"], kPeerA));
  for (const auto& [name, data] : entries) EXPECT_FALSE(Contains(data)) << name;
}

}  // namespace
}  // namespace guts::agent
