#include "collector/http/fleet_series.h"

#include <algorithm>
#include <map>
#include <vector>

#include "common/incident_kind_name.h"
#include "guts/diag/v1/incident.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using prometheus::BuildCounter;
using prometheus::BuildGauge;

prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const std::string& name,
                                             const std::string& help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}

void AddIncidents(prometheus::Registry& r, const v1::FleetStatus& fleet) {
  auto& open = Gauge(r, "guts_incident_open",
                     "1 for every open incident: kind, severity, cause (the alert's incident_id) "
                     "and this collector's id");
  auto& since = Gauge(r, "guts_incident_opened_timestamp_seconds", "When the incident opened");
  for (const v1::Incident& i : fleet.open_incidents()) {
    // Restored at start and not confirmed yet: a rule on this series must not re-fire it.
    if (i.awaiting_confirmation()) continue;
    prometheus::Labels labels{{"kind", IncidentKindName(i)},
                              {"severity", v1::Severity_Name(i.severity())},
                              {"cause", i.cause_key()},
                              {"id", i.id()}};
    open.Add(labels).Set(1);
    since.Add(labels).Set(static_cast<double>(i.opened_unix_ms()) / 1000);
  }
}

void AddNodes(prometheus::Registry& r, const v1::FleetStatus& fleet) {
  auto& lag = Gauge(r, "guts_node_lag_blocks", "Blocks behind the fleet's quorum height");
  auto& view = Gauge(r, "guts_node_view", "Consensus view (round) the node reports");
  auto& heard = Gauge(r, "guts_node_peers_heard", "Peers the node heard recently");
  auto& expected = Gauge(r, "guts_node_peers_expected", "Peers the node should hear");
  auto& weight = Gauge(r, "guts_node_weight", "Validator weight (0 for an observer)");
  // Which agents this collector hears now: with replicas, each exports its own, and a
  // difference between them is evidence of a cut (gutsctl --all-collectors shows it too).
  auto& connected = Gauge(r, "guts_node_agent_connected",
                          "1 while the node's agent stream to this collector is up");
  auto& state = Gauge(r, "guts_node_state", "1 for the state the collector assigns the node");
  for (const v1::NodeStatus& n : fleet.nodes()) {
    prometheus::Labels node{{"node", n.node_id()}};
    weight.Add(node).Set(static_cast<double>(n.weight()));
    connected.Add(node).Set(n.connected() ? 1 : 0);
    state.Add({{"node", n.node_id()}, {"state", v1::NodeState_Name(n.state())}}).Set(1);
    // Nobody reports a validator without an agent: a lag or view of 0 would read as "caught
    // up", so those series are left out (guts_validator_unobserved names it instead).
    if (n.unobserved()) continue;
    lag.Add(node).Set(static_cast<double>(n.lag()));
    view.Add(node).Set(static_cast<double>(n.view()));
    heard.Add(node).Set(n.peers_heard());
    expected.Add(node).Set(n.peers_expected());
  }
}

// Validators in the set without an agent: the count and weight always, one series each up to
// the bound (a set of thousands of validators with few agents must not flood Prometheus).
void AddUnobserved(prometheus::Registry& r, const v1::FleetStatus& fleet,
                   const FleetSeriesOptions& o) {
  std::vector<const v1::NodeStatus*> unobserved;
  uint64_t weight = 0;
  for (const v1::NodeStatus& n : fleet.nodes()) {
    if (!n.unobserved()) continue;
    unobserved.push_back(&n);
    weight += n.weight();
  }
  Gauge(r, "guts_fleet_validators", "Validators in the set, with or without an agent")
      .Add({})
      .Set(fleet.validator_count());
  Gauge(r, "guts_fleet_unobserved_validators",
        "Validators in the set without an agent: the collector sees them only through peers")
      .Add({})
      .Set(static_cast<double>(unobserved.size()));
  Gauge(r, "guts_fleet_unobserved_weight", "Summed weight of the validators without an agent")
      .Add({})
      .Set(static_cast<double>(weight));
  bool truncated = unobserved.size() > o.max_unobserved_series;
  Gauge(r, "guts_fleet_unobserved_series_truncated",
        "1 when the per-validator unobserved series were left out: more than "
        "--metrics-max-unobserved-series")
      .Add({})
      .Set(truncated ? 1 : 0);
  if (truncated) return;
  auto& each = Gauge(r, "guts_validator_unobserved",
                     "1 for each validator in the set without an agent (organisation from the "
                     "validator list, when it names one)");
  for (const v1::NodeStatus* n : unobserved) {
    each.Add({{"node", n->node_id()}, {"organisation", n->organisation()}}).Set(1);
  }
}

void AddTopology(prometheus::Registry& r, const v1::Topology& t, const FleetSeriesOptions& o) {
  Gauge(r, "guts_fleet_components", "Groups of nodes that hear each other (1 when whole)")
      .Add({})
      .Set(t.components_size());
  Gauge(r, "guts_fleet_total_weight", "Sum of the validators' weights")
      .Add({})
      .Set(static_cast<double>(t.total_weight()));
  Gauge(r, "guts_fleet_quorum_weight", "Weight a quorum needs")
      .Add({})
      .Set(static_cast<double>(t.quorum_weight()));
  uint64_t largest = 0;
  for (const v1::NodeGroup& g : t.components()) largest = std::max(largest, g.weight());
  Gauge(r, "guts_fleet_quorum_margin",
        "Weight of the largest group that hears itself minus the quorum weight (below 0: no "
        "quorum anywhere; 0: one more loss halts)")
      .Add({})
      .Set(static_cast<double>(largest) - static_cast<double>(t.quorum_weight()));
  Gauge(r, "guts_fleet_silent_nodes", "Nodes without fresh data")
      .Add({})
      .Set(t.silent_nodes_size());
  if (!o.link_series) return;
  bool truncated = static_cast<size_t>(t.matrix_size()) > o.max_link_series;
  Gauge(r, "guts_fleet_link_series_truncated",
        "1 when the per-link series were left out: more links than --metrics-max-link-series")
      .Add({})
      .Set(truncated ? 1 : 0);
  if (truncated) return;
  auto& heard = Gauge(r, "guts_link_heard", "1 when `from` heard `to` recently");
  for (const v1::MatrixCell& c : t.matrix()) {
    if (c.from() == c.to()) continue;
    heard.Add({{"from", c.from()}, {"to", c.to()}}).Set(c.heard() ? 1 : 0);
  }
}

void AddAlerting(prometheus::Registry& r, const AlertPusherFigures& f) {
  Gauge(r, "guts_collector_alerts_firing", "Open incidents pushed as firing alerts")
      .Add({})
      .Set(static_cast<double>(f.firing));
  Gauge(r, "guts_collector_alert_resolutions_pending",
        "Resolved alerts not yet accepted by every endpoint")
      .Add({})
      .Set(static_cast<double>(f.resolutions_pending));
  BuildCounter()
      .Name("guts_collector_alert_resolutions_left_to_replica_total")
      .Help(
          "Resolutions not sent because an Alertmanager held the alert fired by another "
          "collector replica (sending them would flap the page)")
      .Register(r)
      .Add({})
      .Increment(static_cast<double>(f.resolutions_left_to_other_replica));
  auto& up = Gauge(r, "guts_collector_alert_endpoint_up", "1 when the last push succeeded");
  auto& pushes = BuildCounter()
                     .Name("guts_collector_alert_pushes_total")
                     .Help("Pushes to an alert endpoint, by result")
                     .Register(r);
  for (const AlertEndpointFigures& e : f.endpoints) {
    up.Add({{"endpoint", e.url}}).Set(e.up ? 1 : 0);
    pushes.Add({{"endpoint", e.url}, {"result", "ok"}}).Increment(static_cast<double>(e.pushes_ok));
    pushes.Add({{"endpoint", e.url}, {"result", "failed"}})
        .Increment(static_cast<double>(e.pushes_failed));
  }
}

}  // namespace

std::string RenderFleetSeries(const v1::FleetStatus& fleet, const v1::Topology* topology,
                              const AlertPusherFigures* alerting,
                              const FleetSeriesOptions& options) {
  prometheus::Registry r;
  AddIncidents(r, fleet);
  AddNodes(r, fleet);
  AddUnobserved(r, fleet, options);
  if (topology != nullptr) AddTopology(r, *topology, options);
  if (alerting != nullptr) AddAlerting(r, *alerting);
  return prometheus::TextSerializer().Serialize(r.Collect());
}

}  // namespace guts::collector
