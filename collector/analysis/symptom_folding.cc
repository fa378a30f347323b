#include "collector/analysis/symptom_folding.h"

#include <algorithm>
#include <set>

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

struct Rule {
  v1::IncidentKind cause;
  std::vector<v1::IncidentKind> absorbs;
};

// Causes first, most encompassing first: an absorbed verdict absorbs nothing itself.
const std::vector<Rule>& Rules() {
  static const std::vector<Rule>* rules = new std::vector<Rule>{
      // Two chains that each finalize are the cause; the cut between their groups is how it
      // happened, not a second incident.
      {v1::FORK,
       {v1::PARTITION_NO_QUORUM, v1::PARTITION, v1::PARTIAL_PARTITION, v1::CONSENSUS_STUCK,
        v1::NODE_LAGGING, v1::NODE_NOT_SYNCING, v1::LOW_PEERS, v1::FLEET_PEER_LOSS}},
      {v1::PARTITION_NO_QUORUM,
       {v1::PARTITION, v1::PARTIAL_PARTITION, v1::NODE_ISOLATED, v1::NODE_ONE_WAY_ISOLATION,
        v1::LOW_PEERS, v1::NODE_LAGGING, v1::NODE_NOT_SYNCING, v1::NODE_DOWN, v1::ONE_WAY_LINK,
        v1::FLEET_PEER_LOSS, v1::CONSENSUS_STUCK, v1::QUORUM_AT_RISK}},
      {v1::PARTITION,
       {v1::PARTIAL_PARTITION, v1::NODE_ISOLATED, v1::NODE_ONE_WAY_ISOLATION, v1::LOW_PEERS,
        v1::NODE_LAGGING, v1::NODE_NOT_SYNCING, v1::NODE_DOWN, v1::ONE_WAY_LINK,
        v1::FLEET_PEER_LOSS, v1::CONSENSUS_STUCK, v1::QUORUM_AT_RISK}},
      {v1::PARTIAL_PARTITION,
       {v1::LOW_PEERS, v1::NODE_LAGGING, v1::NODE_NOT_SYNCING, v1::ONE_WAY_LINK,
        v1::FLEET_PEER_LOSS, v1::CONSENSUS_STUCK, v1::QUORUM_AT_RISK}},
      // Unobserved validators nobody hears, on the unheard side of a split.
      {v1::PARTITION_NO_QUORUM, {v1::VALIDATOR_UNREACHABLE}},
      {v1::PARTITION, {v1::VALIDATOR_UNREACHABLE}},
      // A node whose consensus thread died closes its sessions and stops finalizing.
      {v1::CONSENSUS_ENGINE_FAILED,
       {v1::NODE_ISOLATED, v1::NODE_ONE_WAY_ISOLATION, v1::LOW_PEERS, v1::NODE_LAGGING,
        v1::NODE_NOT_SYNCING, v1::ONE_WAY_LINK, v1::FLAPPING_LINK, v1::CONSENSUS_STUCK}},
      // Nodes missing from each other's allowed_peers never connect: that is the cause, not
      // a link or peer-count problem of the pair.
      {v1::VALIDATOR_SET_DRIFT,
       {v1::LOW_PEERS, v1::ONE_WAY_LINK, v1::NODE_ONE_WAY_ISOLATION, v1::FLAPPING_LINK,
        v1::NODE_ISOLATED, v1::PARTIAL_PARTITION, v1::VALIDATOR_UNREACHABLE}},
      {v1::COLLECTOR_DEGRADED, {v1::NODE_DOWN, v1::COLLECTOR_UNREACHABLE}},
      // A node on its default config answers on loopback only and, in Simplex mode, runs no
      // consensus and so no P2P: down and cut off to everyone, for that one cause.
      {v1::CONFIG_FALLBACK,
       {v1::NODE_DOWN, v1::NODE_ISOLATED, v1::NODE_ONE_WAY_ISOLATION, v1::LOW_PEERS,
        v1::NODE_LAGGING, v1::NODE_NOT_SYNCING, v1::ONE_WAY_LINK, v1::FLAPPING_LINK}},
      {v1::FLEET_PEER_LOSS, {v1::LOW_PEERS, v1::ONE_WAY_LINK, v1::NODE_ISOLATED}},
      {v1::NODE_DOWN, {v1::LOW_PEERS, v1::NODE_LAGGING, v1::NODE_NOT_SYNCING}},
      {v1::NODE_ISOLATED, {v1::LOW_PEERS, v1::NODE_LAGGING, v1::NODE_NOT_SYNCING}},
      {v1::NODE_ONE_WAY_ISOLATION,
       {v1::LOW_PEERS, v1::NODE_LAGGING, v1::NODE_NOT_SYNCING, v1::ONE_WAY_LINK}},
      {v1::FLAPPING_LINK, {v1::ONE_WAY_LINK}},
      // A small fleet's node that stops receiving from one peer falls below the peer minimum.
      {v1::ONE_WAY_LINK, {v1::LOW_PEERS}},
      {v1::CONSENSUS_STUCK, {v1::NODE_LAGGING, v1::NODE_NOT_SYNCING}},
  };
  return *rules;
}

// Symptoms of the whole fleet: absorbed whatever nodes they name.
bool FleetWide(v1::IncidentKind kind) {
  return kind == v1::CONSENSUS_STUCK || kind == v1::QUORUM_AT_RISK;
}

std::set<std::string> Scope(const Verdict& v) {
  std::set<std::string> scope(v.nodes.begin(), v.nodes.end());
  for (const v1::NodeGroup& g : v.groups) scope.insert(g.nodes().begin(), g.nodes().end());
  for (const v1::Link& l : v.links) {
    scope.insert(l.from());
    scope.insert(l.to());
  }
  return scope;
}

bool Covers(const std::set<std::string>& scope, const Verdict& symptom) {
  if (FleetWide(symptom.kind)) return true;
  if (symptom.nodes.empty()) return false;
  return std::all_of(symptom.nodes.begin(), symptom.nodes.end(),
                     [&](const std::string& n) { return scope.count(n) > 0; });
}

// Causes that silence the nodes they name for their peers.
bool SilencesItsNodes(v1::IncidentKind kind) {
  return kind == v1::NODE_ISOLATED || kind == v1::NODE_DOWN || kind == v1::NODE_ONE_WAY_ISOLATION ||
         kind == v1::CONFIG_FALLBACK;
}

// A node that hears too few peers because some of them are isolated, dead or cut one way is
// an echo of those peers' causes, not a fault of its own: with the silenced peers counted back
// it would hear enough. Folds it under the cause that silenced most of its missing peers (an
// isolated v4 in a fleet of four leaves v1..v3 hearing two peers each).
void FoldPeerShortfalls(std::vector<Verdict>& verdicts, std::vector<char>& absorbed) {
  std::vector<size_t> causes;
  std::set<std::string> silenced;
  for (size_t c = 0; c < verdicts.size(); ++c) {
    if (absorbed[c] || !SilencesItsNodes(verdicts[c].kind)) continue;
    causes.push_back(c);
    silenced.insert(verdicts[c].nodes.begin(), verdicts[c].nodes.end());
  }
  if (causes.empty()) return;
  for (size_t s = 0; s < verdicts.size(); ++s) {
    Verdict& symptom = verdicts[s];
    if (absorbed[s] || symptom.kind != v1::LOW_PEERS || symptom.peer_shortfall <= 0) continue;
    int explained = 0;
    for (const std::string& peer : symptom.unheard_peers) explained += silenced.count(peer);
    if (explained < symptom.peer_shortfall) continue;
    size_t best = causes[0];
    int best_count = -1;
    for (size_t c : causes) {
      const std::vector<std::string>& named = verdicts[c].nodes;
      int count = 0;
      for (const std::string& peer : symptom.unheard_peers) {
        count += std::find(named.begin(), named.end(), peer) != named.end() ? 1 : 0;
      }
      if (count > best_count) best = c, best_count = count;
    }
    absorbed[s] = 1;
    verdicts[best].absorbed.push_back(symptom.cause_key);
    std::sort(verdicts[best].absorbed.begin(), verdicts[best].absorbed.end());
  }
}

}  // namespace

void FoldSymptoms(std::vector<Verdict>& verdicts) {
  std::vector<char> absorbed(verdicts.size(), 0);
  for (const Rule& rule : Rules()) {
    for (size_t c = 0; c < verdicts.size(); ++c) {
      if (absorbed[c] || verdicts[c].kind != rule.cause) continue;
      std::set<std::string> scope = Scope(verdicts[c]);
      for (size_t s = 0; s < verdicts.size(); ++s) {
        if (s == c || absorbed[s]) continue;
        if (std::find(rule.absorbs.begin(), rule.absorbs.end(), verdicts[s].kind) ==
            rule.absorbs.end()) {
          continue;
        }
        if (!Covers(scope, verdicts[s])) continue;
        absorbed[s] = 1;
        verdicts[c].absorbed.push_back(verdicts[s].cause_key);
        if (verdicts[c].kind == v1::PARTIAL_PARTITION && verdicts[s].kind == v1::CONSENSUS_STUCK) {
          verdicts[c].severity = v1::P1;
        }
      }
      std::sort(verdicts[c].absorbed.begin(), verdicts[c].absorbed.end());
    }
  }
  FoldPeerShortfalls(verdicts, absorbed);
  size_t kept = 0;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    if (absorbed[i]) continue;
    if (kept != i) verdicts[kept] = std::move(verdicts[i]);
    ++kept;
  }
  verdicts.resize(kept);
}

}  // namespace guts::collector
