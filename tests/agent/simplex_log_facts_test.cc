// The Simplex lines of the node's log, in the exact field shapes the node writes them
// (crates/guts-consensus simplex/application.rs, guts-node consensus_simplex.rs and p2p.rs):
// JSON lines, the pretty text format and the full text format give the same facts.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/fact_rules.h"
#include "agent/log_facts.h"
#include "gtest/gtest.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

namespace v1 = ::guts::diag::v1;

constexpr char kKey[] = "00863a7867e4d93eb8a55de34f3dfc7f87613aa23a1913c769c8b78a663047c5";

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

v1::LogFacts FeedText(absl::string_view text, absl::Time now) {
  LogFactsBuilder builder;
  for (absl::string_view line : absl::StrSplit(text, '\n')) builder.Observe(line, now);
  v1::LogFacts facts;
  builder.Fill(now, facts);
  return facts;
}

v1::LogFacts Feed(const std::string& fixture, absl::Time now) {
  return FeedText(testing::ReadFixture(fixture), now);
}

class SimplexLogFormats : public ::testing::TestWithParam<const char*> {};

TEST_P(SimplexLogFormats, GiveHeightDigestViewKeyAddressAndEngineFailure) {
  v1::LogFacts facts = Feed(GetParam(), At("2026-11-30T03:00:10Z"));
  EXPECT_EQ(facts.finalized_height(), 2u);
  EXPECT_EQ(facts.finalized_block_id(),
            "3deb0d4ed3a8eb8bd4d635febfbd8de352f0736374b4f35384049b6805b0a179");
  EXPECT_EQ(facts.finalized_age_ms(), 8000);
  // The view out of `Round { epoch: 0, view: 12 }`, the newest proposal's age.
  EXPECT_EQ(facts.proposed_view(), 12u);
  EXPECT_EQ(facts.proposed_age_ms(), 5000);
  EXPECT_EQ(facts.proposals_succeeded(), 1u);
  EXPECT_EQ(facts.proposals_failed(), 1u);
  // `PublicKey(0xABC..)` (Debug) and "abc.." (hex) are the same key.
  EXPECT_EQ(facts.public_key(), kKey);
  // P2P network started listens on the wildcard: the external address is the useful one.
  EXPECT_EQ(facts.p2p_listen_addr(), "10.0.0.1:9000");
  EXPECT_TRUE(facts.simplex_started());
  EXPECT_TRUE(facts.engine_failed());
  EXPECT_EQ(facts.engine_failed_age_ms(), 4000);
  EXPECT_EQ(facts.errors_by_kind().at("consensus_engine_failed"), 1u);
  EXPECT_EQ(facts.starts_seen(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Formats, SimplexLogFormats,
                         ::testing::Values("node_log_simplex_json.log",
                                           "node_log_simplex_pretty.log"));

TEST(SimplexLogFactsTest, ANewStartClearsTheEngineFailure) {
  std::string text = testing::ReadFixture("node_log_simplex_json.log");
  text +=
      R"({"timestamp":"2026-11-30T03:00:07Z","level":"INFO","fields":{"message":"Starting Guts node","version":"0.1.0"},"target":"guts_node"})";
  text += "\n";
  v1::LogFacts facts = FeedText(text, At("2026-11-30T03:00:10Z"));
  EXPECT_FALSE(facts.engine_failed());
  EXPECT_EQ(facts.engine_failed_age_ms(), 0);
  EXPECT_FALSE(facts.simplex_started());  // Not yet in this run.
  EXPECT_EQ(facts.starts_seen(), 2u);
  // What the previous run told stays known until the new run says otherwise.
  EXPECT_EQ(facts.public_key(), kKey);
}

TEST(SimplexLogFactsTest, StoppedUnexpectedlyIsAnEngineFailureToo) {
  v1::LogFacts facts = FeedText(
      R"({"timestamp":"2026-11-30T03:00:06Z","level":"WARN","fields":{"message":"Consensus engine stopped unexpectedly"},"target":"guts_node::consensus_simplex"})",
      At("2026-11-30T03:00:10Z"));
  EXPECT_TRUE(facts.engine_failed());
}

TEST(SimplexLogFactsTest, RoundShapesAreReadTolerantly) {
  const std::pair<const char*, uint64_t> kShapes[] = {
      {R"("Round { epoch: 0, view: 7 }")", 7},
      {R"("Round { epoch: 3, view: 123456 }")", 123456},
      {R"("Round{epoch:0,view:9}")", 9},
      {"\"(0, 21)\"", 21},
      {R"("view=5")", 5},
  };
  for (const auto& [round, view] : kShapes) {
    std::string line = absl::StrCat(
        R"({"timestamp":"2026-11-30T03:00:01Z","level":"INFO","fields":{"message":"proposed new block","round":)",
        round, R"(,"digest":"ab","success":true}})");
    v1::LogFacts facts = FeedText(line, At("2026-11-30T03:00:02Z"));
    EXPECT_EQ(facts.proposed_view(), view) << round;
  }
  // A round with no view in it is not a proposal the agent can place.
  v1::LogFacts facts = FeedText(
      R"({"timestamp":"2026-11-30T03:00:01Z","level":"INFO","fields":{"message":"proposed new block","round":"garbage","success":true}})",
      At("2026-11-30T03:00:02Z"));
  EXPECT_EQ(facts.proposed_view(), 0u);
  EXPECT_EQ(facts.proposals_succeeded(), 0u);
}

TEST(SimplexLogFactsTest, SimulationLinesStillGiveTheirFactsAndNoSimplexOnes) {
  v1::LogFacts facts = Feed("node_log_json.log", At("2026-11-30T02:00:13Z"));
  EXPECT_EQ(facts.finalized_height(), 42u);
  EXPECT_EQ(facts.finalized_block_id(), "aa42");
  EXPECT_EQ(facts.proposed_view(), 0u);
  EXPECT_FALSE(facts.simplex_started());
  EXPECT_FALSE(facts.engine_failed());
  EXPECT_TRUE(facts.public_key().empty());
}

TEST(SimplexConsensusViewTest, LogAndConfigMakeTheConsensusViewOfASimplexNode) {
  v1::Snapshot snapshot;
  // What the API said: enabled false, zeroes.
  snapshot.mutable_consensus()->set_observed(true);
  snapshot.mutable_consensus()->set_state("Disabled");
  *snapshot.mutable_log() = Feed("node_log_simplex_json.log", At("2026-11-30T03:00:10Z"));
  CombineFacts(snapshot);
  const v1::ConsensusView& c = snapshot.consensus();
  EXPECT_EQ(c.mode(), v1::CONSENSUS_MODE_SIMPLEX);
  EXPECT_EQ(c.finalized_height(), 2u);
  EXPECT_EQ(c.height_source(), v1::HEIGHT_SOURCE_LOG);
  EXPECT_EQ(c.last_block_id(), "3deb0d4ed3a8eb8bd4d635febfbd8de352f0736374b4f35384049b6805b0a179");
  EXPECT_EQ(c.view(), 12u);
  EXPECT_EQ(c.proposed_view(), 12u);
  EXPECT_EQ(c.proposed_age_ms(), 5000);
  EXPECT_TRUE(c.engine_failed());
}

TEST(SimplexConsensusViewTest, AnAnsweringApiIsSimulationModeAndKeepsItsView) {
  v1::Snapshot snapshot;
  snapshot.mutable_consensus()->set_api_enabled(true);
  snapshot.mutable_consensus()->set_observed(true);
  snapshot.mutable_consensus()->set_view(40);
  snapshot.mutable_consensus()->set_finalized_height(30);
  snapshot.mutable_consensus()->set_height_source(v1::HEIGHT_SOURCE_API);
  *snapshot.mutable_log() = Feed("node_log_json.log", At("2026-11-30T02:00:13Z"));
  CombineFacts(snapshot);
  EXPECT_EQ(snapshot.consensus().mode(), v1::CONSENSUS_MODE_SIMULATION);
  EXPECT_EQ(snapshot.consensus().view(), 40u);
  EXPECT_EQ(snapshot.consensus().finalized_height(), 30u);
}

TEST(SimplexConsensusViewTest, ConfigAloneSaysSimplexBeforeAnyBlock) {
  v1::Snapshot snapshot;
  snapshot.mutable_config()->set_loaded(true);
  snapshot.mutable_config()->set_consensus_enabled(true);
  snapshot.mutable_config()->set_use_simplex_bft(true);
  CombineFacts(snapshot);
  EXPECT_EQ(snapshot.consensus().mode(), v1::CONSENSUS_MODE_SIMPLEX);
  // Nothing known: no API, no log.
  v1::Snapshot empty;
  CombineFacts(empty);
  EXPECT_EQ(empty.consensus().mode(), v1::CONSENSUS_MODE_UNSPECIFIED);
}

// The mode rule reads the height source the height rule sets (agent/fact_rules.cc): a log
// height with nothing else Simplex about the node still makes it a Simplex node.
TEST(SimplexConsensusViewTest, ALogHeightAloneSaysSimplexBecauseTheHeightRuleRunsFirst) {
  v1::Snapshot snapshot;
  snapshot.mutable_log()->set_finalized_height(9);
  CombineFacts(snapshot);
  EXPECT_EQ(snapshot.consensus().height_source(), v1::HEIGHT_SOURCE_LOG);
  EXPECT_EQ(snapshot.consensus().mode(), v1::CONSENSUS_MODE_SIMPLEX);
  ASSERT_GE(FactRules().size(), 2u);
  EXPECT_EQ(FactRules()[0].name, "log_height_for_api_height");
  EXPECT_EQ(FactRules()[1].name, "observed_consensus_mode");
}

// The real node seeds its key from the first 8 bytes of p2p.private_key, so the key the config
// parser derives is not the node's: the key the node announces in its log replaces it.
TEST(SimplexConsensusViewTest, TheLogsPublicKeyWinsOverTheKeyDerivedFromTheConfig) {
  v1::Snapshot snapshot;
  v1::NodeConfig& config = *snapshot.mutable_config();
  config.set_loaded(true);
  config.set_public_key("aaaa");
  v1::Participant* self = config.add_participants();
  self->set_public_key("aaaa");
  self->set_addr("10.0.0.1:9000");
  self->set_self(true);
  v1::Participant* peer = config.add_participants();
  peer->set_public_key("bbbb");
  snapshot.mutable_log()->set_public_key("cccc");
  CombineFacts(snapshot);
  EXPECT_EQ(snapshot.config().public_key(), "cccc");
  ASSERT_EQ(snapshot.config().participants_size(), 2);
  EXPECT_EQ(snapshot.config().participants(0).public_key(), "cccc");
  EXPECT_TRUE(snapshot.config().participants(0).self());
  EXPECT_EQ(snapshot.config().participants(0).addr(), "10.0.0.1:9000");
  EXPECT_EQ(snapshot.config().participants(1).public_key(), "bbbb");
  EXPECT_FALSE(snapshot.config().participants(1).self());

  // No key derivable from the config: the node is added as a participant under its log key.
  v1::Snapshot underived;
  underived.mutable_config()->set_loaded(true);
  underived.mutable_config()->set_p2p_listen_addr("10.0.0.2:9000");
  underived.mutable_config()->add_participants()->set_public_key("bbbb");
  underived.mutable_log()->set_public_key("dddd");
  CombineFacts(underived);
  ASSERT_EQ(underived.config().participants_size(), 2);
  EXPECT_EQ(underived.config().participants(1).public_key(), "dddd");
  EXPECT_EQ(underived.config().participants(1).addr(), "10.0.0.2:9000");
  EXPECT_TRUE(underived.config().participants(1).self());
}

}  // namespace
}  // namespace guts::agent
