#include "agent/fact_rules.h"

namespace guts::agent {
namespace {

namespace v1 = ::guts::diag::v1;

// Simplex mode: the consensus API answers `enabled: false` with zeroes, so the log's
// `processed finalized block` is the only source of the height, its age and its digest.
void LogHeightForApiHeight(v1::Snapshot& snapshot) {
  v1::ConsensusView& consensus = *snapshot.mutable_consensus();
  const v1::LogFacts& log = snapshot.log();
  if (consensus.api_enabled() || !snapshot.has_log() || log.finalized_height() == 0) return;
  consensus.set_finalized_height(log.finalized_height());
  consensus.set_height_source(v1::HEIGHT_SOURCE_LOG);
  consensus.set_last_finalized_age_ms(log.finalized_age_ms());
  consensus.set_last_block_id(log.finalized_block_id());
  consensus.set_observed(true);
}

// The collector never guesses a node's mode, so the agent says what it saw: an answering
// consensus API is simulation mode; an API that says disabled while the log or the config
// shows Simplex (or the height came from the log) is Simplex. Otherwise unspecified.
void ObservedConsensusMode(v1::Snapshot& snapshot) {
  v1::ConsensusView& consensus = *snapshot.mutable_consensus();
  const v1::LogFacts& log = snapshot.log();
  bool config_simplex = snapshot.config().loaded() && snapshot.config().consensus_enabled() &&
                        snapshot.config().use_simplex_bft();
  bool log_simplex = log.simplex_started() || log.proposed_view() > 0 ||
                     log.proposals_failed() > 0 || !log.public_key().empty();
  if (consensus.api_enabled()) {
    consensus.set_mode(v1::CONSENSUS_MODE_SIMULATION);
  } else if (config_simplex || log_simplex ||
             (consensus.observed() && consensus.height_source() == v1::HEIGHT_SOURCE_LOG)) {
    consensus.set_mode(v1::CONSENSUS_MODE_SIMPLEX);
  }
}

// The collector's consensus detectors read ConsensusView alone; the proposals and a dead
// consensus thread are only in the log.
void LogProposalsIntoConsensus(v1::Snapshot& snapshot) {
  v1::ConsensusView& consensus = *snapshot.mutable_consensus();
  const v1::LogFacts& log = snapshot.log();
  consensus.set_proposed_view(log.proposed_view());
  consensus.set_proposed_age_ms(log.proposed_age_ms());
  consensus.set_engine_failed(log.engine_failed());
}

// Simplex exposes no view; the highest proposed round this node led is the best there is.
void LogRoundForApiView(v1::Snapshot& snapshot) {
  v1::ConsensusView& consensus = *snapshot.mutable_consensus();
  const v1::LogFacts& log = snapshot.log();
  if (!consensus.api_enabled() && consensus.view() == 0 && log.proposed_view() > 0) {
    consensus.set_view(log.proposed_view());
  }
}

// The key the node announces in its log is its real one. The real node seeds its key from
// the first 8 bytes of p2p.private_key (PrivateKey::from_seed(u64)), not from the 32-byte
// ed25519 seed the config parser derives from, so where the two differ the log's key stands
// in for the derived one, in the config and in this node's participant entry.
void LogKeyForDerivedKey(v1::Snapshot& snapshot) {
  const v1::LogFacts& log = snapshot.log();
  if (!snapshot.has_config() || log.public_key().empty() ||
      log.public_key() == snapshot.config().public_key()) {
    return;
  }
  v1::NodeConfig& config = *snapshot.mutable_config();
  v1::Participant* self = nullptr;
  for (v1::Participant& p : *config.mutable_participants()) {
    if (p.self() || p.public_key() == log.public_key()) self = &p;
  }
  if (self == nullptr && config.loaded()) {
    self = config.add_participants();
    self->set_addr(!config.p2p_listen_addr().empty() ? config.p2p_listen_addr()
                                                     : log.p2p_listen_addr());
  }
  if (self != nullptr) {
    self->set_public_key(log.public_key());
    self->set_self(true);
  }
  config.set_public_key(log.public_key());
}

// The mode reads the height source the first rule sets.
constexpr FactRule kFactRules[] = {
    {"log_height_for_api_height", LogHeightForApiHeight},
    {"observed_consensus_mode", ObservedConsensusMode},
    {"log_proposals_into_consensus", LogProposalsIntoConsensus},
    {"log_round_for_api_view", LogRoundForApiView},
    {"log_key_for_derived_key", LogKeyForDerivedKey},
};

}  // namespace

std::span<const FactRule> FactRules() { return kFactRules; }

void CombineFacts(v1::Snapshot& snapshot) {
  for (const FactRule& rule : kFactRules) rule.apply(snapshot);
}

}  // namespace guts::agent
