#include "collector/analysis/analyzer.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/analysis_history.h"
#include "collector/analysis/analysis_warm_up.h"
#include "collector/analysis/cause_memory.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/finality_throughput.h"
#include "collector/analysis/fleet_model.h"
#include "collector/analysis/graph_coverage.h"
#include "collector/analysis/incident_tracker.h"
#include "collector/analysis/network_sides.h"
#include "collector/analysis/peer_graph.h"
#include "collector/analysis/quorum_margin.h"
#include "collector/analysis/symptom_folding.h"
#include "collector/analysis/verdict_parts.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// The analysis's own windows; each detector declares the ones it reads (Detector::windows).
// clock_skew_threshold is an offset between two clocks, not a window: a compressed run skews
// clocks by as much as a real one.
constexpr ConfigWindow kAnalyzerWindows[] = {
    &AnalysisConfig::tick, &AnalysisConfig::default_interval, &AnalysisConfig::peer_heard_within,
    &AnalysisConfig::reopen_cooldown,
    // The throughput rule's hold period and baseline (finality_throughput.h).
    &AnalysisConfig::progress_stall, &AnalysisConfig::throughput_baseline_window,
    // AnalysisHistory's look-backs and the folding of flapping links under past cuts.
    &AnalysisConfig::flap_window, &AnalysisConfig::peer_baseline_window};

}  // namespace

AnalysisConfig ScaleWindows(AnalysisConfig c, double factor) {
  std::vector<ConfigWindow> windows(std::begin(kAnalyzerWindows), std::end(kAnalyzerWindows));
  for (const Detector* d : AllDetectors())
    windows.insert(windows.end(), d->windows.begin(), d->windows.end());
  // Once each, however many detectors read it.
  std::vector<ConfigWindow> scaled;
  for (ConfigWindow w : windows) {
    if (std::find(scaled.begin(), scaled.end(), w) != scaled.end()) continue;
    scaled.push_back(w);
    c.*w = c.*w * factor;
  }
  ScaleDetectorWindows(c, factor);
  return c;
}

struct Analyzer::State {
  explicit State(const AnalysisConfig& c)
      : config(c), detector_states(MakeDetectorStates()), incidents(c) {}
  AnalysisConfig config;
  AnalysisHistory history;
  std::vector<std::unique_ptr<DetectorState>> detector_states;  // AllDetectors() order
  CauseMemory causes;
  PeerGraphMemory graph_memory;
  FinalityThroughput throughput;
  IncidentTracker incidents;
  // Once over, the warm-up after the start never comes back.
  bool warmed_up = false;
  // The last tick's witnesses of the unobserved validators and the node numbers they hold.
  std::shared_ptr<const UnobservedWitnesses> unobserved_witnesses;
  std::vector<uint32_t> witness_numbers;
  // How many verdicts the detectors made in the last tick (room to reserve in the next).
  size_t verdicts_made = 0;
};

Analyzer::Analyzer(AnalysisConfig config) : state_(std::make_unique<State>(config)) {}

Analyzer::~Analyzer() = default;

void Analyzer::RestoreIncidents(const std::vector<v1::Incident>& open) {
  state_->incidents.Restore(open);
}

void Analyzer::SetMaintenance(std::vector<AnalysisConfig::MaintenanceWindow> windows) {
  state_->config.maintenance = std::move(windows);
}

namespace {

bool UnderMaintenance(const FleetModel& model, const std::string& node) {
  int index = model.Find(node);
  if (index < 0) return false;
  const auto& labels = HelloOf(*model.nodes[index].observation).labels();
  auto label = labels.find("maintenance");
  return label != labels.end() && label->second == "true";
}

// Declared maintenance turns pages into notes (S21: rolling restarts page nobody). A fork or
// corrupted data is never a maintenance artefact: those keep their severity.
void CapForMaintenance(const FleetModel& model, const AnalysisConfig& config,
                       std::vector<Verdict>& verdicts) {
  for (Verdict& v : verdicts) {
    if (v.severity >= v1::P3) continue;
    const IncidentKindSpec* kind = FindIncidentKind(KindNameOf(v));
    if (kind != nullptr && kind->kept_under_maintenance) continue;
    bool window =
        std::any_of(config.maintenance.begin(), config.maintenance.end(),
                    [&](const AnalysisConfig::MaintenanceWindow& w) {
                      if (model.now < w.start || model.now >= w.end) return false;
                      if (w.nodes.empty()) return true;
                      return !v.nodes.empty() &&
                             std::all_of(v.nodes.begin(), v.nodes.end(), [&](const std::string& n) {
                               return std::find(w.nodes.begin(), w.nodes.end(), n) != w.nodes.end();
                             });
                    });
    bool labelled = !v.nodes.empty() &&
                    std::all_of(v.nodes.begin(), v.nodes.end(),
                                [&](const std::string& n) { return UnderMaintenance(model, n); });
    if (window || labelled) {
      v.severity = v1::P3;
      v.evidence["maintenance"] = window ? "declared window" : "nodes labelled maintenance=true";
    }
  }
}

// "node one way isolation": the verdict's kind as node reasons say it.
std::string KindInWords(const Verdict& v) {
  std::string kind = absl::AsciiStrToLower(std::string(KindNameOf(v)));
  std::replace(kind.begin(), kind.end(), '_', ' ');
  return kind;
}

// The state a verdict gives the nodes it names; nullopt when it says nothing about them.
std::optional<v1::NodeState> NodeStateFrom(const Verdict& v) {
  const IncidentKindSpec* kind = FindIncidentKind(KindNameOf(v));
  switch (kind == nullptr ? NodeEffect::kDegraded : kind->node_effect) {
    case NodeEffect::kDegraded:
      return v1::DEGRADED;
    case NodeEffect::kIsolated:
      return v1::ISOLATED;
    case NodeEffect::kDown:
      return v1::DOWN;
    case NodeEffect::kNone:
      return std::nullopt;
  }
  return std::nullopt;
}

int StateRank(v1::NodeState s) {
  switch (s) {
    case v1::DOWN:
      return 5;
    case v1::UNREACHABLE:
      return 4;
    case v1::ISOLATED:
      return 3;
    case v1::DEGRADED:
      return 2;
    default:
      return 1;
  }
}

// Why one node is in the state a verdict gives it, in that node's terms: fleet status lists
// every node, and the incident's own summary repeated on each row says nothing about the row.
// Which of a verdict's groups (sides) each node is in, made once per verdict: a partition of a
// large fleet names most nodes, and searching the groups for each of them was quadratic (at
// 5 000 nodes in two sides, most of the tick).
absl::flat_hash_map<std::string_view, int> GroupOfNode(const Verdict& v) {
  absl::flat_hash_map<std::string_view, int> group_of;
  for (size_t g = 0; g < v.groups.size(); ++g) {
    for (const std::string& node : v.groups[g].nodes()) {
      group_of.try_emplace(node, static_cast<int>(g));  // the first group naming it, as before
    }
  }
  return group_of;
}

// Which of a verdict's groups a node is in, for its nodes asked in name order: each group's
// names, in name order too, are walked once alongside (a partition lists its sides' names in
// name order), without a map of every member. Otherwise, or past a few groups, GroupOfNode.
class GroupFinder {
 public:
  // `in_order`: the names will be asked in name order (nondecreasing).
  GroupFinder(const Verdict& v, bool in_order) : v_(v) {
    constexpr size_t kMaxWalked = 8;  // each name steps every group's walk
    walk_ = in_order && v.groups.size() <= kMaxWalked &&
            std::all_of(v.groups.begin(), v.groups.end(), [](const v1::NodeGroup& g) {
              return std::is_sorted(g.nodes().begin(), g.nodes().end());
            });
    if (walk_) {
      at_.assign(v.groups.size(), 0);
    } else {
      group_of_ = GroupOfNode(v);
    }
  }

  // The first group naming `node`, or -1.
  int Find(std::string_view node) {
    if (!walk_) {
      auto g = group_of_.find(node);
      return g == group_of_.end() ? -1 : g->second;
    }
    for (size_t g = 0; g < v_.groups.size(); ++g) {
      const auto& names = v_.groups[g].nodes();
      int& k = at_[g];
      while (k < names.size() && names[k] < node) ++k;
      if (k < names.size() && names[k] == node) return static_cast<int>(g);
    }
    return -1;
  }

 private:
  const Verdict& v_;
  bool walk_ = false;
  std::vector<int> at_;  // by group: the first of its names not below the names asked so far
  absl::flat_hash_map<std::string_view, int> group_of_;
};

// Why the nodes of one verdict are in its state, each with its own peer count. The part before
// the count is the same for every node of a group: made once per group, not per node (a
// partition's reasons are most of the fleet's).
class NodeReasons {
 public:
  explicit NodeReasons(const Verdict& v) : v_(v), side_(v.groups.size()) {}

  // `group`: the index of the node's group in v.groups, or -1 when it is in none.
  void Write(int group, const NodeAssessment& a, std::string& reason) {
    if (v_.nodes.size() == 1) {  // about this node alone already
      reason = v_.summary;
      return;
    }
    std::string& prefix = group >= 0 ? side_[static_cast<size_t>(group)] : outside_;
    if (prefix.empty()) {
      if (group >= 0) {
        const v1::NodeGroup& g = v_.groups[static_cast<size_t>(group)];
        prefix = absl::StrCat("side ", group + 1, " of ", v_.groups.size(), " (", g.nodes_size(),
                              " nodes, weight ", g.weight(),
                              g.has_quorum() ? ", quorum" : ", no quorum", "); ");
      } else {
        prefix = absl::StrCat(KindInWords(v_), "; ");
      }
    }
    reason.clear();
    absl::StrAppend(&reason, prefix, "hears ", a.peers_heard, " of ", a.peers_expected, " peers");
  }

 private:
  const Verdict& v_;
  std::vector<std::string> side_;  // by group; empty until a node of it is written
  std::string outside_;
};

// The peers a node should hear, from the topology rather than the fleet's size: a validator's
// own config when it lists its allowed peers (Simplex: the other participants; a sparse
// topology: the few it peers with), else the validator set minus itself. A node that is no
// validator has no set to be measured against: its sessions are what it should hear.
uint32_t ExpectedPeers(const NodeFacts& f, int validators_known) {
  if (!f.validator) return static_cast<uint32_t>(f.sessions.size());
  if (f.participants > 1) return static_cast<uint32_t>(f.participants - 1);
  return validators_known > 1 ? static_cast<uint32_t>(validators_known - 1)
                              : static_cast<uint32_t>(f.sessions.size());
}

// `names_kept`: result.nodes already names the model's nodes (the view's), in order, with
// default assessments (NodeAssessments::ResetKeepingNamesOf); else it is empty.
void AssessNodes(const FleetView& view, const FleetModel& model, const GraphCoverage& coverage,
                 const std::vector<Verdict>& verdicts, bool names_kept, AnalysisResult& result) {
  int validators_known = 0;
  for (const NodeFacts& f : model.nodes) validators_known += f.validator ? 1 : 0;
  validators_known += static_cast<int>(model.unobserved.size());
  result.nodes.Reserve(model.nodes.size());
  // Whether each node's assessment sits at its model index (every node appended): then a
  // verdict's node_indices find them without a name.
  bool at_model_index = true;
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const NodeFacts& f = model.nodes[i];
    // view.nodes is sorted by id, so every node is appended.
    NodeAssessment& a = names_kept ? result.nodes.AtPosition(i) : result.nodes.Add(*f.id);
    at_model_index =
        at_model_index && result.nodes.size() >= i + 1 && &a == &result.nodes.AtPosition(i);
    a.peers_heard = static_cast<uint32_t>(f.hears.size());
    a.peers_expected = ExpectedPeers(f, validators_known);
    a.lag = model.quorum_height > f.height ? model.quorum_height - f.height : 0;
    a.weight = f.validator ? f.weight : 0;
    if (!f.has_snapshot) {
      a.state = v1::UNKNOWN;
      a.reason = "no snapshot yet";
      a.before_first_snapshot = true;
    } else if (f.silent && model.blindness.blind) {
      a.state = v1::UNKNOWN;
      a.reason = absl::StrCat("no snapshot for ", SecondsText(f.silence), "; ", model.blindness.why,
                              ", silence not judged");
    } else if (f.silent && coverage.partial) {
      a.state = v1::UNKNOWN;
      a.reason =
          absl::StrCat("no snapshot for ", SecondsText(f.silence), "; ", coverage.in_graph, " of ",
                       coverage.expected, " nodes report their peers, silence not judged");
    } else if (f.silent) {
      a.state = v1::UNREACHABLE;
      a.reason = absl::StrCat("no snapshot for ", SecondsText(f.silence), "; peers still hear it");
    } else {
      a.state = v1::HEALTHY;
    }
  }
  // The next tick in this storage of a view of the same generation keeps the names.
  if (at_model_index) result.nodes.MarkNamesOf(view.identity_generation);
  for (const Verdict& v : verdicts) {
    const std::optional<v1::NodeState> effect = NodeStateFrom(v);
    if (!effect) continue;
    const v1::NodeState state = *effect;
    auto assess = [&](NodeAssessment* a, NodeReasons& reasons, auto&& group) {
      if (a == nullptr || a->state == v1::UNKNOWN) return;
      if (StateRank(state) > StateRank(a->state)) {
        a->state = state;
        reasons.Write(group(), *a, a->reason);
      }
    };
    // A split names its nodes by model index and side too: no name is looked up (10 000 a tick,
    // among the assessments and again among the groups' names).
    const VerdictMembers* members = v.Members();
    if (at_model_index && members != nullptr && members->node_indices.size() == v.nodes.size() &&
        members->node_groups.size() == v.nodes.size()) {
      NodeReasons reasons(v);
      for (size_t k = 0; k < v.nodes.size(); ++k) {
        const int u = members->node_indices[k];
        NodeAssessment* a = u >= 0 ? &result.nodes.AtPosition(static_cast<size_t>(u))
                                   : result.nodes.Find(v.nodes[k]);
        assess(a, reasons, [&] { return members->node_groups[k]; });
      }
      continue;
    }
    // A partition names thousands of nodes, in name order: found walking the assessments (in
    // name order too) alongside, not each by a search.
    const bool in_order = std::is_sorted(v.nodes.begin(), v.nodes.end());
    GroupFinder groups(v, in_order);
    NodeReasons reasons(v);
    size_t walk = 0;
    for (const std::string& node : v.nodes) {
      NodeAssessment* a = in_order ? result.nodes.FindFrom(node, walk) : result.nodes.Find(node);
      assess(a, reasons, [&] { return groups.Find(node); });
    }
  }
}

// A partial partition's groups and cut links, which the components alone do not show (the
// bridge keeps them one component).
void AddBridgedGroups(const Verdict* partial, v1::Topology& topo) {
  if (partial == nullptr) return;
  for (const v1::NodeGroup& g : partial->groups) *topo.add_bridged_groups() = g;
  for (const v1::Link& l : partial->links) *topo.add_cut_edges() = l;
}

// Each member of a partial partition's groups says which group it is in and through which
// bridge it reaches the others, instead of the low-peer symptom the partition absorbs.
void AssessBridgedGroups(const Verdict& partial, AnalysisResult& result) {
  const std::string bridges = absl::StrJoin(partial.nodes, ",");
  auto assess = [&](const std::string& node, std::string reason) {
    NodeAssessment* found = result.nodes.Find(node);
    if (found == nullptr) return;
    NodeAssessment& a = *found;
    if (StateRank(a.state) > StateRank(v1::DEGRADED) || a.state == v1::UNKNOWN) return;
    a.state = v1::DEGRADED;
    a.reason = absl::StrCat(reason, "; hears ", a.peers_heard, " of ", a.peers_expected, " peers");
  };
  std::vector<std::string> texts;
  for (const v1::NodeGroup& g : partial.groups) texts.push_back(GroupText(g));
  for (size_t g = 0; g < partial.groups.size(); ++g) {
    for (const std::string& node : partial.groups[g].nodes()) {
      assess(node, absl::StrCat("group ", g + 1, " of ", partial.groups.size(),
                                ", reaches the others only through bridge ", bridges));
    }
  }
  for (const std::string& bridge : partial.nodes) {
    assess(bridge, absl::StrCat("bridge: the only link between ", absl::StrJoin(texts, " and ")));
  }
}

// absl::StrJoin of the nodes' ids in name (rank) order, ", " between, without a string per name:
// these lists hold most of the fleet (every observer that does not hear a validator without an
// agent).
std::string NameList(const UnobservedWitnesses& w, const std::vector<int>& nodes) {
  std::vector<int> scratch;
  const std::vector<int>& order = InRankOrder(nodes, w.rank, scratch);
  size_t size = 0;
  for (int u : order) size += w.ids[u].size() + 2;
  std::string list;
  list.reserve(size);
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) list.append(", ");
    list.append(w.ids[order[k]]);
  }
  return list;
}

// The tick's witnesses: the last tick's while every node keeps its index (the same stable
// numbers in the same order, hence the same ids and order) and the observers are the same.
std::shared_ptr<const UnobservedWitnesses> WitnessesOf(
    const FleetModel& model, std::shared_ptr<const UnobservedWitnesses>& last,
    std::vector<uint32_t>& last_numbers) {
  const size_t n = model.nodes.size();
  bool same = last != nullptr && last_numbers.size() == n && last->observers == model.observers;
  for (size_t i = 0; same && i < n; ++i) same = last_numbers[i] == model.nodes[i].number;
  if (same) return last;
  auto w = std::make_shared<UnobservedWitnesses>();
  w->ids.reserve(n);
  last_numbers.resize(n);
  for (size_t i = 0; i < n; ++i) {
    w->ids.push_back(*model.nodes[i].id);
    last_numbers[i] = model.nodes[i].number;
  }
  w->rank = model.rank;
  w->observers = model.observers;
  last = std::move(w);
  return last;
}

// What the observed nodes know of each validator without an agent, and from whom; the text is
// made on demand (UnobservedAssessment::Reason).
void AssessUnobserved(const FleetModel& model, const std::vector<Verdict>& verdicts,
                      std::shared_ptr<const UnobservedWitnesses> witnesses,
                      AnalysisResult& result) {
  for (const UnobservedValidator& u : model.unobserved) {
    UnobservedAssessment& a = result.unobserved.emplace_back();
    a.name = u.entry->name;
    a.public_key = u.entry->public_key;
    a.addr = u.entry->addr;
    a.organisation = u.entry->organisation;
    a.weight = u.entry->weight;
    a.heard_by = static_cast<uint32_t>(u.heard_by.size());
    a.observers = static_cast<uint32_t>(model.observers.size());
    a.witnesses = witnesses;
    a.hearers = u.heard_by;
    if (u.heard_by.empty()) a.probers = u.reached_by;
    for (const Verdict& v : verdicts) {
      if (std::find(v.nodes.begin(), v.nodes.end(), a.name) == v.nodes.end()) continue;
      a.verdict_kinds.push_back(KindInWords(v));
    }
  }
}

// This tick's split verdict when its groups are `sides` as SideGroup makes them, else null. The
// partition detector's split verdict (SplitVerdict) lists every side of NetworkSides, in order,
// as SideGroup made it: the same groups the topology lists as its components. Checked by kind,
// count, sizes and weights, so that a verdict of another shape is never taken.
Verdict* SplitVerdictOf(std::vector<Verdict>& verdicts, const std::vector<NetworkSide>& sides) {
  for (Verdict& v : verdicts) {
    if (v.kind != v1::PARTITION && v.kind != v1::PARTITION_NO_QUORUM) continue;
    if (v.groups.size() != sides.size()) return nullptr;
    for (size_t c = 0; c < sides.size(); ++c) {
      const v1::NodeGroup& g = v.groups[c];
      if (static_cast<size_t>(g.nodes_size()) != sides[c].size() || g.weight() != sides[c].weight) {
        return nullptr;
      }
    }
    return &v;
  }
  return nullptr;
}

// Keeps the split verdict's `nodes` in `named` (whose groups are those of this tick's sides, of
// key `key`) unless they are kept already: its members key says which sides it names.
void KeepSplitNodes(const Verdict& split, const MembersKey& key, NamedSides& named) {
  const VerdictMembers* members = split.Members();
  if (members == nullptr || members->key.first_named == named.first_named) return;
  MembersKey sides_key = members->key;
  sides_key.first_named = key.first_named;
  if (!(sides_key == key)) return;
  named.first_named = members->key.first_named;
  named.nodes = split.nodes;
  named.node_indices = members->node_indices;
  named.node_groups = members->node_groups;
  named.nodes_text = FewNamesText(split.nodes);
}

// `verdicts`: the tick's, read by everything else already: a split verdict's groups are moved
// into the components rather than made a second time (on a split of 10 000 nodes, 10 000 names
// allocated, copied and freed once more each tick). `named`: the names kept from earlier ticks;
// while the sides stand the components are copied from there (into the recycled topology's
// cleared storage), and when they change, this tick's are kept.
void BuildTopology(const FleetModel& model, const PeerGraph& graph, const AnalysisConfig& config,
                   std::vector<Verdict>& verdicts, NamedSides& named, v1::Topology& topo) {
  topo.set_total_weight(model.total_weight);
  topo.set_quorum_weight(model.quorum_weight);
  topo.set_mode(model.mode);
  if (model.validator_set != nullptr) {
    topo.set_validator_source(std::string(ValidatorSourceName(model.validator_set->source)));
  }
  for (const NodeFacts& f : model.nodes) {
    topo.add_nodes(*f.id);
    if (f.has_snapshot && !f.reporting) topo.add_silent_nodes(*f.id);
  }
  for (const UnobservedValidator& u : model.unobserved) {
    topo.add_nodes(u.entry->name);
    topo.add_unobserved(u.entry->name);
  }
  const std::vector<NetworkSide> sides = NetworkSides(model, graph);
  MembersKey key = SidesKey(model, sides);
  Verdict* split = SplitVerdictOf(verdicts, sides);
  if (named.Holds(key, sides)) {
    // The split verdict's groups are this tick's copies of the kept ones: moved. Else copied.
    if (split != nullptr) KeepSplitNodes(*split, key, named);
    for (size_t c = 0; c < sides.size(); ++c) {
      v1::NodeGroup* component = topo.add_components();
      if (split != nullptr) {
        *component = std::move(split->groups[c]);
      } else {
        component->CopyFrom(named.groups[c]);
        RefreshSideGroup(model, sides[c], *component);
      }
    }
  } else if (model.index_epoch != 0) {
    std::vector<v1::NodeGroup> groups;
    groups.reserve(sides.size());
    for (size_t c = 0; c < sides.size(); ++c) {
      groups.push_back(split != nullptr ? split->groups[c] : SideGroup(model, sides[c]));
      *topo.add_components() = groups.back();
    }
    if (split != nullptr) {
      // Read before the groups are kept: the verdict's members stand for the sides just made.
      Verdict& v = *split;
      named.KeepGroups(std::move(key), sides, std::move(groups));
      KeepSplitNodes(v, named.key, named);
    } else {
      named.KeepGroups(std::move(key), sides, std::move(groups));
    }
  } else {
    for (size_t c = 0; c < sides.size(); ++c) {
      *topo.add_components() =
          split != nullptr ? std::move(split->groups[c]) : SideGroup(model, sides[c]);
    }
  }
  for (int u : graph.cut_vertices) topo.add_bridges(*model.nodes[u].id);
  for (const auto& [from, to] : graph.one_way)
    *topo.add_one_way_links() = MakeLink(model, from, to);
  for (const auto& [a, b] : graph.bridge_edges) *topo.add_cut_edges() = MakeLink(model, a, b);
  const int n = static_cast<int>(model.nodes.size());
  if (static_cast<size_t>(n) > config.matrix_max_nodes) return;
  // Pairs across components are cut; listing them is O(n^2), so only for matrix-sized fleets.
  for (int u = 0; u < n; ++u) {
    for (int w = u + 1; w < n; ++w) {
      int cu = graph.component_of[u], cw = graph.component_of[w];
      if (cu >= 0 && cw >= 0 && cu != cw) *topo.add_cut_edges() = MakeLink(model, u, w);
    }
  }
  for (int u = 0; u < n; ++u) {
    const NodeFacts& f = model.nodes[u];
    if (!f.has_snapshot) continue;
    std::vector<int64_t> age(n, -1);
    for (size_t k = 0; k < f.sessions.size(); ++k) age[f.sessions[k]] = f.session_age_ms[k];
    for (int w = 0; w < n; ++w) {
      if (w == u) continue;
      v1::MatrixCell* cell = topo.add_matrix();
      cell->set_from(*f.id);
      cell->set_to(*model.nodes[w].id);
      cell->set_heard(model.Hears(u, w));
      cell->set_last_heard_age_ms(age[w]);
      cell->set_reachable(std::binary_search(f.reachable.begin(), f.reachable.end(), w));
    }
    // Columns for the validators without an agent (they have no row: nobody reports for them).
    for (const UnobservedValidator& w : model.unobserved) {
      v1::MatrixCell* cell = topo.add_matrix();
      cell->set_from(*f.id);
      cell->set_to(w.entry->name);
      cell->set_heard(std::binary_search(w.heard_by.begin(), w.heard_by.end(), u));
      auto at = std::lower_bound(w.sessions_by.begin(), w.sessions_by.end(), u);
      cell->set_last_heard_age_ms(at != w.sessions_by.end() && *at == u
                                      ? w.session_age_ms[at - w.sessions_by.begin()]
                                      : -1);
      cell->set_reachable(std::binary_search(w.reached_by.begin(), w.reached_by.end(), u));
    }
  }
}

// Verdicts whose kind opens in fewer ticks than the config's (IncidentKindSpec::enter_ticks)
// take the config's when this tick's evidence cannot carry them that fast:
// - No observer hears any peer: every link at once is the host or the whole network stalling
//   (a starved simulator, a network switch), not one cut per link; a stall passes in a tick.
// - A link, or a node's links, that a recent cut of another cause separated: a link healing
//   shows as one-way until the deaf end's next snapshot (peer_graph.h).
void SlowUntrustedVerdicts(const FleetModel& model, const AnalysisConfig& config,
                           CauseMemory& causes, std::vector<Verdict>& verdicts) {
  bool any_heard = model.observers.size() < 2;
  for (int u : model.observers) any_heard = any_heard || !model.nodes[u].hears.empty();
  for (Verdict& v : verdicts) {
    if (v.enter_ticks <= 0) continue;
    if (!any_heard) {
      v.enter_ticks = 0;
      continue;
    }
    auto recently_cut = [&](const std::string& a, const std::string& b) {
      std::string cause = causes.Explains(model.now, config.flap_window, a, b);
      return !cause.empty() && cause != v.cause_key;
    };
    bool slow = false;
    if (!v.links.empty()) {
      slow = recently_cut(v.links[0].from(), v.links[0].to());
    } else if (v.nodes.size() == 1 && v.groups.empty()) {
      for (const NodeFacts& f : model.nodes) {
        if (*f.id != v.nodes[0] && recently_cut(v.nodes[0], *f.id)) {
          slow = true;
          break;
        }
      }
    }
    if (slow) v.enter_ticks = 0;
  }
}

}  // namespace

std::string UnobservedAssessment::Reason() const {
  std::string reason;
  static const UnobservedWitnesses kNone;
  const UnobservedWitnesses& w = witnesses != nullptr ? *witnesses : kNone;
  if (w.observers.empty()) {
    reason = "no agent; no observed node reports peer data";
  } else {
    std::vector<int> not_heard;
    std::set_difference(w.observers.begin(), w.observers.end(), hearers.begin(), hearers.end(),
                        std::back_inserter(not_heard));
    if (hearers.empty()) {
      reason = absl::StrCat("no agent; heard by no observed node (not by ", NameList(w, not_heard),
                            "): down or cut off?");
    } else if (not_heard.empty()) {
      reason = absl::StrCat("no agent; heard by ", NameList(w, hearers));
    } else {
      reason = absl::StrCat("no agent; heard by ", NameList(w, hearers), "; not by ",
                            NameList(w, not_heard));
    }
  }
  if (!probers.empty() && hearers.empty() && witnesses != nullptr) {
    absl::StrAppend(&reason, "; probes from ", NameList(w, probers), " connect");
  }
  for (const std::string& kind : verdict_kinds) absl::StrAppend(&reason, "; ", kind);
  return reason;
}

AnalysisResult Analyzer::Tick(const FleetView& view) { return Tick(view, AnalysisResult{}); }

AnalysisResult Analyzer::Tick(const FleetView& view, AnalysisResult recycled) {
  State& s = *state_;
  // A new result, default in every field, takes over only the recycled one's storage, emptied:
  // a field added to AnalysisResult later starts from its default without anyone clearing it.
  // The node array keeps its names (default assessments) when they are this view's nodes.
  AnalysisResult result;
  result.nodes = std::move(recycled.nodes);
  const bool names_kept =
      result.nodes.ResetKeepingNamesOf(view.identity_generation, view.nodes.size());
  result.unobserved = std::move(recycled.unobserved);
  result.unobserved.clear();
  result.topology.Swap(&recycled.topology);
  result.topology.Clear();
  result.quorum_margin.Swap(&recycled.quorum_margin);
  result.quorum_margin.Clear();
  result.at = view.now;
  std::vector<uint32_t> numbers = NumberNodes(view, s.history);
  FleetModel model = BuildFleetModel(view, s.config, numbers, s.history.model_memory);
  const PeerGraph& graph = s.graph_memory.Build(model);
  result.max_height = model.max_height;
  result.quorum_height = model.quorum_height;
  const QuorumMargin m = ComputeQuorumMargin(model, graph);
  {
    v1::QuorumMargin& out = result.quorum_margin;
    out.set_up_weight(m.up_weight);
    out.set_total_weight(m.total_weight);
    out.set_quorum_weight(m.quorum_weight);
    out.set_margin(m.margin);
    out.set_heaviest_up(m.heaviest);
    out.set_heaviest_up_weight(m.heaviest_weight);
    out.set_one_loss_halts(m.one_loss_halts);
    for (const std::string& n : m.lost) out.add_lost(n);
    out.set_text(QuorumMarginText(m));
  }
  result.mode = model.mode;
  result.total_weight = model.total_weight;
  result.quorum_weight = model.quorum_weight;
  if (model.validator_set != nullptr) {
    result.validator_source = std::string(ValidatorSourceName(model.validator_set->source));
    result.validator_count = static_cast<uint32_t>(model.validator_set->validators.size());
  }

  // Room for as many verdicts as the last tick's detectors made, and a little more: at 10 000
  // nodes all cut off they make 20 000 verdicts, and growing by doubling held two arrays at once
  // (7 and 14 MB) and moved every verdict made so far at each step.
  std::vector<Verdict> verdicts;
  verdicts.reserve(s.verdicts_made + s.verdicts_made / 8);
  const std::span<const Detector* const> detectors = AllDetectors();
  auto input_of = [&](size_t d) {
    return DetectorInput{view, model, graph, m, s.history, s.config, s.detector_states[d].get()};
  };
  for (size_t d = 0; d < detectors.size(); ++d) detectors[d]->run(input_of(d), verdicts);
  s.verdicts_made = verdicts.size();
  // Most of the fleet out of the graph at once: the graph verdicts say nothing this tick
  // (graph_coverage.h). Dropped before anything reads them, and held below.
  const GraphCoverage coverage = GraphCoverageOf(model);
  if (coverage.partial) {
    std::erase_if(verdicts, [](const Verdict& v) {
      const IncidentKindSpec* kind = FindIncidentKind(KindNameOf(v));
      return kind != nullptr && kind->held_while_graph_partial;
    });
    result.partial_blindness = coverage.why;
  }
  s.throughput.Record(view.now, model.max_height, s.config);
  RaiseOnThroughputCollapse(view.now, s.config, s.throughput, verdicts);
  CapForMaintenance(model, s.config, verdicts);
  AssessNodes(view, model, coverage, verdicts, names_kept, result);
  std::optional<Verdict> partial;
  for (const Verdict& v : verdicts) {
    const IncidentKindSpec* kind = FindIncidentKind(KindNameOf(v));
    if (kind != nullptr && kind->bridged_groups) partial = v;
  }
  if (partial) AssessBridgedGroups(*partial, result);
  // Before folding: a cause absorbed this tick (an isolated node inside a partition) still cut
  // its links.
  s.causes.Remember(view.now, verdicts, s.config.enter_ticks);
  SlowUntrustedVerdicts(model, s.config, s.causes, verdicts);
  if (!model.unobserved.empty()) {
    AssessUnobserved(model, verdicts, WitnessesOf(model, s.unobserved_witnesses, s.witness_numbers),
                     result);
  }
  FoldSymptoms(verdicts);
  FoldFlappingUnderCauses(view.now, s.config.flap_window, s.causes, verdicts);

  std::set<std::string, std::less<>> held;
  for (const IncidentKindSpec* kind : AllIncidentKinds()) {
    if ((model.blindness.blind && kind->held_while_collector_blind) ||
        (coverage.partial && kind->held_while_graph_partial)) {
      held.emplace(kind->name);
    }
  }
  if (!s.warmed_up) {
    AnalysisWarmUp warm_up =
        AnalysisWarmUpOf(view, s.config.warm_up_longest, s.config.peer_heard_within);
    s.warmed_up = !warm_up.warming;
    result.warming_up = warm_up.warming;
    result.warm_up_why = std::move(warm_up.why);
  }
  IncidentChanges changes =
      s.warmed_up ? s.incidents.Apply(view.now, verdicts, held) : s.incidents.Unchanged();
  result.open_incidents = std::move(changes.open);
  result.changed_incidents = std::move(changes.changed);

  // Last to read the verdicts: it takes the split verdict's groups.
  BuildTopology(model, graph, s.config, verdicts, s.history.named_sides, result.topology);
  AddBridgedGroups(partial ? &*partial : nullptr, result.topology);
  UpdateHistory(model, graph, s.config, s.history);
  for (size_t d = 0; d < detectors.size(); ++d) {
    if (s.detector_states[d] != nullptr) s.detector_states[d]->Update(input_of(d));
  }
  s.history.model_memory.Recycle(std::move(model));
  return result;
}

}  // namespace guts::collector
