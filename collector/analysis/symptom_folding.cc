#include "collector/analysis/symptom_folding.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "collector/analysis/incident_kind.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// The kinds a verdict's kind declares, or null for a kind no detector declares (it neither
// absorbs nor is absorbed).
std::vector<const IncidentKindSpec*> KindsOf(const std::vector<Verdict>& verdicts) {
  std::vector<const IncidentKindSpec*> kinds;
  kinds.reserve(verdicts.size());
  for (const Verdict& v : verdicts) kinds.push_back(FindIncidentKind(KindNameOf(v)));
  return kinds;
}

struct Rule {
  const IncidentKindSpec* cause;
  absl::flat_hash_set<const IncidentKindSpec*> absorbs;
  const IncidentKindSpec* p1_when_absorbing = nullptr;
};

// Every kind that absorbs others, in fold_rank order: an absorbed verdict absorbs nothing
// itself, so the most encompassing causes go first.
const std::vector<Rule>& Rules() {
  static const std::vector<Rule>* rules = [] {
    auto* r = new std::vector<Rule>;
    for (const IncidentKindSpec* kind : AllIncidentKinds()) {
      if (kind->absorbs.empty()) continue;
      Rule rule{.cause = kind};
      for (std::string_view name : kind->absorbs) {
        if (const IncidentKindSpec* absorbed = FindIncidentKind(name)) {
          rule.absorbs.insert(absorbed);
        }
      }
      if (!kind->p1_when_absorbing.empty()) {
        rule.p1_when_absorbing = FindIncidentKind(kind->p1_when_absorbing);
      }
      r->push_back(std::move(rule));
    }
    std::stable_sort(r->begin(), r->end(), [](const Rule& a, const Rule& b) {
      return a.cause->fold_rank < b.cause->fold_rank;
    });
    return r;
  }();
  return *rules;
}

// The names a cause's verdict covers, made only when a symptom needs looking up: a split's
// verdict names every node of the fleet (20 000 names at 10 000 nodes), and building a set of
// them on every tick was a sixteenth of a split fleet's tick when no symptom was there to fold.
// Views into the verdict, which outlives the scope.
using Scope = absl::flat_hash_set<std::string_view>;

void FillScope(const Verdict& v, Scope& scope) {
  size_t names = v.nodes.size() + 2 * v.links.size();
  for (const v1::NodeGroup& g : v.groups) names += static_cast<size_t>(g.nodes_size());
  scope.reserve(names);
  scope.insert(v.nodes.begin(), v.nodes.end());
  for (const v1::NodeGroup& g : v.groups) scope.insert(g.nodes().begin(), g.nodes().end());
  for (const v1::Link& l : v.links) {
    scope.insert(l.from());
    scope.insert(l.to());
  }
}

// Whether `scope` (filled on first use) covers the symptom.
bool Covers(const Verdict& cause, std::optional<Scope>& scope, const Verdict& symptom,
            const IncidentKindSpec& kind) {
  if (kind.fleet_wide) return true;
  if (symptom.nodes.empty()) return false;
  if (!scope) FillScope(cause, scope.emplace());
  return std::all_of(symptom.nodes.begin(), symptom.nodes.end(),
                     [&](const std::string& n) { return scope->contains(n); });
}

// A node that hears too few peers because some of them are isolated, dead or cut one way is
// an echo of those peers' causes, not a fault of its own: with the silenced peers counted back
// it would hear enough. Folds it under the cause that silenced most of its missing peers (an
// isolated v4 in a fleet of four leaves v1..v3 hearing two peers each).
void FoldPeerShortfalls(std::vector<Verdict>& verdicts,
                        const std::vector<const IncidentKindSpec*>& kinds,
                        std::vector<char>& absorbed) {
  std::vector<size_t> causes;
  std::set<std::string, std::less<>> silenced;
  for (size_t c = 0; c < verdicts.size(); ++c) {
    if (absorbed[c] || kinds[c] == nullptr || !kinds[c]->silences_its_nodes) continue;
    causes.push_back(c);
    silenced.insert(verdicts[c].nodes.begin(), verdicts[c].nodes.end());
  }
  if (causes.empty()) return;
  for (size_t s = 0; s < verdicts.size(); ++s) {
    Verdict& symptom = verdicts[s];
    // Only LOW_PEERS verdicts name a shortfall.
    if (absorbed[s] || symptom.peer_shortfall <= 0) continue;
    int explained = 0;
    for (std::string_view peer : symptom.unheard_peers) explained += silenced.count(peer);
    if (explained < symptom.peer_shortfall) continue;
    size_t best = causes[0];
    int best_count = -1;
    for (size_t c : causes) {
      const std::vector<std::string>& named = verdicts[c].nodes;
      int count = 0;
      for (std::string_view peer : symptom.unheard_peers) {
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
  const std::vector<const IncidentKindSpec*> kinds = KindsOf(verdicts);
  std::vector<char> absorbed(verdicts.size(), 0);
  for (const Rule& rule : Rules()) {
    for (size_t c = 0; c < verdicts.size(); ++c) {
      if (absorbed[c] || kinds[c] != rule.cause) continue;
      std::optional<Scope> scope;
      for (size_t s = 0; s < verdicts.size(); ++s) {
        if (s == c || absorbed[s] || !rule.absorbs.contains(kinds[s])) continue;
        if (!Covers(verdicts[c], scope, verdicts[s], *kinds[s])) continue;
        absorbed[s] = 1;
        verdicts[c].absorbed.push_back(verdicts[s].cause_key);
        if (kinds[s] == rule.p1_when_absorbing) verdicts[c].severity = v1::P1;
      }
      std::sort(verdicts[c].absorbed.begin(), verdicts[c].absorbed.end());
    }
  }
  FoldPeerShortfalls(verdicts, kinds, absorbed);
  size_t kept = 0;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    if (absorbed[i]) continue;
    if (kept != i) verdicts[kept] = std::move(verdicts[i]);
    ++kept;
  }
  verdicts.resize(kept);
}

}  // namespace guts::collector
