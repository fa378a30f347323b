#include "collector/analysis/quorum_margin.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/analysis/detector.h"
#include "common/natural_order.h"

namespace guts::collector {

namespace {

// Its votes do not reach the validators that could finalize: down, outside the heaviest
// component of the hearing graph (isolated, or on the other side of a split), or heard by no
// reporting peer while others report peer data.
bool Lost(const FleetModel& model, const PeerGraph& graph, int u, int reporting_with_peers) {
  const NodeFacts& f = model.nodes[u];
  if (IsDown(model, u) || f.process_down) return true;
  if (!f.reporting || !f.has_peer_data || reporting_with_peers < 2) return false;
  int c = graph.component_of[u];
  bool apart = c > 0 && graph.components.size() >= 2;  // components[0] is the heaviest
  return apart || f.heard_by == 0;
}

}  // namespace

QuorumMargin ComputeQuorumMargin(const FleetModel& model, const PeerGraph& graph) {
  QuorumMargin m;
  m.total_weight = model.total_weight;
  m.quorum_weight = model.quorum_weight;
  int reporting_with_peers = 0;
  for (const NodeFacts& f : model.nodes) reporting_with_peers += f.reporting && f.has_peer_data;
  uint64_t known = 0;
  std::vector<int> lost;
  int heaviest = -1;
  for (int u = 0; u < static_cast<int>(model.nodes.size()); ++u) {
    const NodeFacts& f = model.nodes[u];
    if (!f.validator || f.weight == 0) continue;
    known += f.weight;
    if (Lost(model, graph, u, reporting_with_peers)) {
      lost.push_back(u);
      continue;
    }
    m.up_weight += f.weight;
    if (heaviest < 0 || f.weight > model.nodes[heaviest].weight ||
        (f.weight == model.nodes[heaviest].weight && model.rank[u] < model.rank[heaviest])) {
      heaviest = u;
    }
  }
  m.lost = SortedNodeNames(model, lost);
  // A validator without an agent counts as up while an observed node hears it, and as lost when
  // none does (down or cut off: either way its votes reach nobody). An observed validator wins
  // the heaviest among equals, since it can be named with what its agent says.
  std::string heaviest_unobserved;
  uint64_t heaviest_unobserved_weight = 0;
  for (const UnobservedValidator& u : model.unobserved) {
    known += u.entry->weight;
    if (u.heard_by.empty() && !model.observers.empty()) {
      m.lost.push_back(u.entry->name);
      continue;
    }
    m.up_weight += u.entry->weight;
    if (u.entry->weight > heaviest_unobserved_weight) {
      heaviest_unobserved = u.entry->name;
      heaviest_unobserved_weight = u.entry->weight;
    }
  }
  // Weight the validator set holds beyond every known entry cannot be judged: counted as up.
  m.up_weight += model.total_weight > known ? model.total_weight - known : 0;
  std::sort(m.lost.begin(), m.lost.end(), NaturalLess);
  m.margin = static_cast<int64_t>(m.up_weight) - static_cast<int64_t>(m.quorum_weight);
  if (heaviest >= 0) {
    m.heaviest = *model.nodes[heaviest].id;
    m.heaviest_weight = model.nodes[heaviest].weight;
  }
  if (heaviest_unobserved_weight > m.heaviest_weight) {
    m.heaviest = heaviest_unobserved;
    m.heaviest_weight = heaviest_unobserved_weight;
  }
  m.one_loss_halts = m.quorum_weight > 0 && m.margin >= 0 && !m.heaviest.empty() &&
                     m.up_weight - m.heaviest_weight < m.quorum_weight;
  return m;
}

std::string QuorumMarginText(const QuorumMargin& m) {
  std::string head =
      absl::StrCat("up ", m.up_weight, " of ", m.total_weight, ", quorum ", m.quorum_weight);
  if (m.margin < 0) return absl::StrCat(head, ", short by ", -m.margin, ": chain halted");
  std::string out = absl::StrCat(head, ", margin ", m.margin);
  if (m.heaviest.empty()) return out;
  if (m.one_loss_halts) {
    return absl::StrCat(out, ": losing ", m.heaviest, " (", m.heaviest_weight, ") halts the chain");
  }
  return absl::StrCat(out, ": any one validator can be lost (heaviest ", m.heaviest, ", ",
                      m.heaviest_weight, ")");
}

}  // namespace guts::collector
