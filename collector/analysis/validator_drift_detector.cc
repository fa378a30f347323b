// VALIDATOR_SET_DRIFT: the participant sets the nodes' configs report disagree. A node missing
// from a peer's p2p.allowed_peers is refused by that peer's authenticated P2P layer, so the
// pair never connects; the low-peer and one-way symptoms of the pair are folded under this one
// verdict. The set most nodes report is the reference (ValidatorSet); each node that differs
// is named with the keys it lacks (and any it has beyond the reference), and so is each
// validator whose key it lacks.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/detector.h"
#include "collector/fleet/snapshot_figures.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// Nodes missing from each other's allowed_peers never connect: that is the cause, not a link
// or peer-count problem of the pair.
constexpr std::string_view kDriftAbsorbs[] = {
    "LOW_PEERS",     "ONE_WAY_LINK",      "NODE_ONE_WAY_ISOLATION", "FLAPPING_LINK",
    "NODE_ISOLATED", "PARTIAL_PARTITION", "VALIDATOR_UNREACHABLE"};
constexpr std::string_view kDriftSteps[] = {
    "compare p2p.allowed_peers and p2p.bootstrappers in each named node's config.yaml with the "
    "agreed validator set",
    "add the missing keys on the nodes that lack them and restart those nodes",
    "gutsctl net matrix: the pair connects again once both lists agree"};
constexpr RunbookSpec kDriftRunbook{.name = "validator-set-drift", .steps = kDriftSteps};
constexpr IncidentKindSpec kValidatorSetDrift{.name = "VALIDATOR_SET_DRIFT",
                                              .wire_kind = v1::VALIDATOR_SET_DRIFT,
                                              .severity = v1::P2,
                                              .runbook = &kDriftRunbook,
                                              .absorbs = kDriftAbsorbs,
                                              .fold_rank = 80};
constexpr const IncidentKindSpec* kKinds[] = {&kValidatorSetDrift};

void DetectValidatorSetDrift(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  if (model.validator_set == nullptr) return;
  const ValidatorSet& set = *model.validator_set;
  // Only in Simplex mode do the allowed peers make the validator set. In simulation mode the
  // set is the node API's, and a shorter allowed_peers list only says whom the node peers
  // with (a sparse topology), which is no disagreement about the set.
  if (set.mode != v1::CONSENSUS_MODE_SIMPLEX) return;
  // The reference: the operator's file or the participants most nodes report (with keys).
  std::map<std::string, std::string> name_of;  // key -> validator name
  for (const ValidatorEntry& entry : set.validators) {
    if (!entry.public_key.empty()) name_of[entry.public_key] = entry.name;
  }
  if (name_of.empty()) return;
  // A node whose participant set hashes like the reference lists exactly the reference's keys
  // (the figures hash the same sorted, unique keys; equal hashes are equal sets, as the
  // validator set's choice of the most reported set already takes them): nothing to compare,
  // and no walk through its snapshot's participants on every tick.
  std::vector<std::string> reference_keys;
  reference_keys.reserve(name_of.size());
  for (const auto& [key, name] : name_of) reference_keys.push_back(key);
  const uint64_t reference_hash = ParticipantsHash(reference_keys);
  const int reference_size = static_cast<int>(reference_keys.size());
  std::set<std::string> names;
  std::vector<std::string> lines;
  std::vector<std::string> missing_keys;
  for (const int u : model.by_id) {
    // The participants' count and hash are the facts' copies (the figures' line is cold by
    // now); 0 without a snapshot.
    const NodeFacts& f = model.nodes[u];
    if (!f.reporting || f.participants == 0) continue;
    if (f.participants == reference_size && f.participants_hash == reference_hash) continue;
    std::vector<std::string> keys = ParticipantKeys(LatestOf(*f.observation));
    std::vector<std::string> lacks, extra;
    for (const auto& [key, name] : name_of) {
      if (!std::binary_search(keys.begin(), keys.end(), key)) lacks.push_back(key);
    }
    for (const std::string& key : keys) {
      if (!name_of.count(key)) extra.push_back(key);
    }
    if (lacks.empty() && extra.empty()) continue;
    names.insert(*f.id);
    std::vector<std::string> lacked;
    for (const std::string& key : lacks) {
      names.insert(name_of[key]);
      lacked.push_back(absl::StrCat(name_of[key], " (key ", key.substr(0, 16), "...)"));
      missing_keys.push_back(key);
    }
    std::string line = absl::StrCat(*f.id);
    if (!lacked.empty()) absl::StrAppend(&line, " lacks ", absl::StrJoin(lacked, ", "));
    if (!extra.empty()) {
      absl::StrAppend(&line, lacked.empty() ? "" : ";",
                      " lists keys no other set has: ", absl::StrJoin(extra, ","));
    }
    lines.push_back(line);
  }
  if (lines.empty()) return;
  const std::vector<std::string> named(names.begin(), names.end());
  Verdict v = MakeVerdict(kValidatorSetDrift, absl::StrJoin(named, ","));
  v.nodes = named;
  v.summary =
      absl::StrCat("validator sets disagree (p2p.allowed_peers): ", absl::StrJoin(lines, "; "),
                   "; the authenticated P2P layer refuses the missing peers");
  v.evidence["reference set"] = absl::StrCat(std::string(ValidatorSourceName(set.source)), ", ",
                                             set.validators.size(), " validators");
  for (size_t i = 0; i < lines.size(); ++i) v.evidence[absl::StrCat("drift ", i + 1)] = lines[i];
  std::sort(missing_keys.begin(), missing_keys.end());
  missing_keys.erase(std::unique(missing_keys.begin(), missing_keys.end()), missing_keys.end());
  v.evidence["missing keys"] = absl::StrJoin(missing_keys, ",");
  out.push_back(std::move(v));
}

}  // namespace

extern const Detector kValidatorSetDriftDetector;
const Detector kValidatorSetDriftDetector{
    .name = "validator_set_drift", .run = DetectValidatorSetDrift, .kinds = kKinds};

}  // namespace guts::collector
