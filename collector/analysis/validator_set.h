// ValidatorSet: who the validators are, with a named source, in both consensus modes.
//   - an operator's file (--validators): wins when given; names validators without an agent;
//   - simulation mode: the node API's validator list (newest epoch any agent reports);
//   - Simplex mode: the participants the agents report from their nodes' configs (the set most
//     nodes agree on; disagreement is VALIDATOR_SET_DRIFT, not a second set);
//   - else one unit of weight per reporting agent that is not an observer ("agents").
// Each validator is matched to the node whose agent runs beside it by name, public key, then
// P2P address; a validator without one is "unobserved" and still counts in the quorum.
//
// Example:
//   ValidatorSet set = ResolveValidatorSet(view, figures, config.operator_validators);
//   for (size_t k = 0; k < set.validators.size(); ++k)
//     if (set.nodes[k] < 0) ...  // unobserved
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collector/fleet/fleet_view.h"
#include "collector/fleet/snapshot_figures.h"  // ParticipantKeys
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

struct ValidatorEntry {
  std::string name;
  std::string public_key;  // hex; empty when the source gives none
  std::string addr;        // P2P "ip:port"; empty when unknown
  uint64_t weight = 1;
  std::string organisation;
};

enum class ValidatorSource { kAgents, kNodeApi, kParticipants, kOperatorFile };

// "agents", "node API", "participants", "operator file".
std::string_view ValidatorSourceName(ValidatorSource source);

struct ValidatorSet {
  ValidatorSource source = ValidatorSource::kAgents;
  guts::diag::v1::ConsensusMode mode = guts::diag::v1::CONSENSUS_MODE_SIMULATION;
  // Empty for kAgents.
  std::vector<ValidatorEntry> validators;
  // Index into view.nodes of each validator's node, -1 when no agent runs beside it.
  std::vector<int> nodes;
  // Simplex: one vote each, whatever weights a file gives.
  uint64_t total_weight = 0;
  uint64_t quorum_weight = 0;
};

// The set for `view`. `figures[i]` are view.nodes[i]'s figures (null without a snapshot);
// `operator_file` is the --validators file's entries (empty when none was given).
ValidatorSet ResolveValidatorSet(const FleetView& view,
                                 const std::vector<const SnapshotFigures*>& figures,
                                 const std::vector<ValidatorEntry>& operator_file);

// A short name for a validator known only by key and address: the address, else the key's
// first 12 hex digits.
std::string UnnamedValidator(std::string_view public_key, std::string_view addr);

}  // namespace guts::collector
