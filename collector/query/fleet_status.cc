#include "collector/query/fleet_status.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "collector/fleet/peers_heard.h"

namespace guts::collector {
namespace {

using guts::diag::v1::FleetStatus;
using guts::diag::v1::NodeStatus;
using guts::diag::v1::Snapshot;

uint64_t WeightOf(const NodeObservation& node) {
  for (const auto& v : LatestOf(node).validators().validators()) {
    if (v.name() == node.node_id ||
        (!HelloOf(node).p2p_addr().empty() && v.addr() == HelloOf(node).p2p_addr())) {
      return v.weight();
    }
  }
  return 0;
}

void FallbackState(const NodeObservation& node, absl::Time now, NodeStatus* row) {
  if (node.latest == nullptr) {
    row->set_state(guts::diag::v1::UNKNOWN);
    row->set_state_reason("no snapshot yet");
    return;
  }
  absl::Duration interval = node.latest->interval_ms() > 0
                                ? absl::Milliseconds(node.latest->interval_ms())
                                : absl::Seconds(1);
  absl::Duration silent = now - node.last_received;
  if (silent > std::max(3 * interval, absl::Seconds(5))) {
    row->set_state(guts::diag::v1::DOWN);
    row->set_state_reason(absl::StrCat("no snapshot for ", absl::ToInt64Seconds(silent), " s"));
    return;
  }
  row->set_state(guts::diag::v1::HEALTHY);
}

}  // namespace

NodeStatus MakeNodeStatus(const NodeObservation& node, const NodeAssessment* assessment,
                          absl::Time now, absl::Duration peer_heard_within) {
  NodeStatus row;
  const Snapshot& s = LatestOf(node);
  row.set_node_id(node.node_id);
  row.set_role(HelloOf(node).role().empty() ? "validator" : HelloOf(node).role());
  row.set_height(s.consensus().finalized_height());
  row.set_view(s.consensus().view());
  row.set_connected(node.connected);
  row.set_last_seq(s.seq());
  row.set_agent_version(HelloOf(node).agent_version());
  row.set_node_version(s.health().version());
  row.set_health_status(s.health().status());
  row.set_p2p_addr(HelloOf(node).p2p_addr());
  row.set_weight(WeightOf(node));
  if (node.latest != nullptr) {
    row.set_last_seen_age_ms(absl::ToInt64Milliseconds(now - node.last_received));
  } else {
    row.set_last_seen_age_ms(-1);
  }
  const auto& sys = s.system();
  if (sys.disk_total_bytes() > 0) {
    row.set_disk_used_ratio(1.0 - static_cast<double>(sys.disk_available_bytes()) /
                                      static_cast<double>(sys.disk_total_bytes()));
  }
  row.set_memory_rss_bytes(sys.node_rss_bytes());
  row.set_memory_limit_bytes(sys.cgroup_memory_max_bytes());
  // The last tick ran before this node's first snapshot came in: its "no snapshot yet" no
  // longer holds beside the snapshot shown. Until the next tick judges the node, the row is
  // judged as without an analysis (the last-seen rule below), as every row is at start-up.
  if (assessment != nullptr && assessment->before_first_snapshot && node.latest != nullptr) {
    assessment = nullptr;
  }
  if (assessment != nullptr) {
    row.set_state(assessment->state);
    row.set_state_reason(assessment->reason);
    row.set_lag(assessment->lag);  // BuildFleetStatus recomputes it against its headline
    if (row.weight() == 0) row.set_weight(assessment->weight);
    row.set_peers_heard(assessment->peers_heard);
    row.set_peers_expected(assessment->peers_expected);
    return row;
  }
  FallbackState(node, now, &row);
  row.set_peers_heard(PeersHeard(s, peer_heard_within));
  int validators = s.validators().validators_size();
  row.set_peers_expected(row.role() == "validator" && validators > 0 ? validators - 1 : 0);
  return row;
}

FleetStatus BuildFleetStatus(const FleetView& view, const AnalysisResult* analysis,
                             const guts::diag::v1::CollectorInfo& collector,
                             absl::Duration peer_heard_within) {
  FleetStatus out;
  *out.mutable_collector() = collector;
  std::map<std::string, std::vector<std::string>> incidents_of;
  if (analysis != nullptr && analysis->warming_up) {
    out.mutable_collector()->set_warming_up(analysis->warm_up_why);
  }
  if (analysis != nullptr && !analysis->partial_blindness.empty()) {
    out.mutable_collector()->set_partial_blindness(analysis->partial_blindness);
  }
  if (analysis != nullptr) {
    for (const auto& i : analysis->open_incidents) {
      *out.add_open_incidents() = i;
      for (const std::string& n : i.nodes()) incidents_of[n].push_back(i.id());
    }
  }
  uint64_t total_weight = 0;
  uint64_t quorum_weight = 0;
  std::vector<std::pair<uint64_t, uint64_t>> height_weight;
  for (const NodeObservation& node : view.nodes) {
    const NodeAssessment* assessment = nullptr;
    if (analysis != nullptr) assessment = analysis->nodes.Find(node.node_id);
    NodeStatus* row = out.add_nodes();
    *row = MakeNodeStatus(node, assessment, view.now, peer_heard_within);
    for (const std::string& id : incidents_of[node.node_id]) row->add_incident_ids(id);
    const auto& validators = LatestOf(node).validators();
    total_weight = std::max(total_weight, validators.total_weight());
    quorum_weight = std::max(quorum_weight, validators.quorum_weight());
    // The headline counts the validators that report now; a silent node's last height stays in
    // its row but would drag the quorum height down.
    bool reporting = row->state() != guts::diag::v1::DOWN &&
                     row->state() != guts::diag::v1::UNREACHABLE &&
                     row->state() != guts::diag::v1::UNKNOWN;
    if (node.latest != nullptr && reporting && row->role() == "validator") {
      height_weight.emplace_back(row->height(), row->weight() > 0 ? row->weight() : 1);
    }
  }
  if (analysis != nullptr && analysis->total_weight > 0) {
    // The analysis' validator set counts validators without an agent and follows the mode's
    // quorum rule (Simplex: one vote each, n - floor((n-1)/3)).
    total_weight = analysis->total_weight;
    quorum_weight = analysis->quorum_weight;
    out.set_mode(analysis->mode);
    out.set_validator_source(analysis->validator_source);
    out.set_validator_count(analysis->validator_count);
    for (const UnobservedAssessment& u : analysis->unobserved) {
      NodeStatus* row = out.add_nodes();
      row->set_node_id(u.name);
      row->set_role("validator");
      row->set_state(guts::diag::v1::UNOBSERVED);
      row->set_state_reason(u.Reason());
      row->set_unobserved(true);
      row->set_public_key(u.public_key);
      row->set_organisation(u.organisation);
      row->set_weight(u.weight);
      row->set_p2p_addr(u.addr);
      row->set_peers_heard(0);
      row->set_last_seen_age_ms(-1);
      for (const std::string& id : incidents_of[u.name]) row->add_incident_ids(id);
    }
  }
  if (total_weight == 0) {
    for (const auto& [h, w] : height_weight) total_weight += w;
  }
  if (quorum_weight == 0) quorum_weight = (2 * total_weight + 2) / 3;
  // The quorum height: walk heights from the top until the weight at or above reaches quorum.
  std::sort(height_weight.rbegin(), height_weight.rend());
  uint64_t weight = 0;
  uint64_t quorum_height = 0;
  for (const auto& [h, w] : height_weight) {
    weight += w;
    if (weight >= quorum_weight) {
      quorum_height = h;
      break;
    }
  }
  // Heights and lags come from the rows as shown rather than from the analysis, which ran up to
  // a tick earlier on older snapshots: the headline and the table must agree.
  out.set_max_height(height_weight.empty() ? 0 : height_weight.front().first);
  out.set_quorum_height(quorum_height);
  out.set_total_weight(total_weight);
  out.set_quorum_weight(quorum_weight);
  if (analysis != nullptr && analysis->quorum_margin.quorum_weight() > 0) {
    *out.mutable_quorum_margin() = analysis->quorum_margin;
  }
  for (NodeStatus& row : *out.mutable_nodes()) {
    if (row.unobserved()) continue;  // no height known
    row.set_lag(row.height() < quorum_height ? quorum_height - row.height() : 0);
  }
  return out;
}

}  // namespace guts::collector
