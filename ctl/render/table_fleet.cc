// Fleet status table and the words shared by every table renderer.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/incident_kind_name.h"
#include "common/natural_order.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

// Lower is more trouble: the operator reads the table top-down.
int TroubleRank(v1::NodeState state) {
  switch (state) {
    case v1::DOWN:
      return 0;
    case v1::ISOLATED:
      return 1;
    case v1::UNREACHABLE:
      return 2;
    case v1::DEGRADED:
      return 3;
    case v1::HEALTHY:
      return 5;
    default:
      return 4;
  }
}

std::string MemoryCell(const v1::NodeStatus& node) {
  if (node.memory_rss_bytes() == 0) return "-";
  if (node.memory_limit_bytes() == 0) return FormatBytes(node.memory_rss_bytes());
  return absl::StrCat(FormatBytes(node.memory_rss_bytes()), " / ",
                      FormatBytes(node.memory_limit_bytes()));
}

std::string DiskCell(const v1::NodeStatus& node, const Style& style) {
  std::string text = FormatPercent(node.disk_used_ratio());
  if (node.disk_used_ratio() >= 0.9) return Paint(text, Tone::kBad, style);
  if (node.disk_used_ratio() >= 0.8) return Paint(text, Tone::kWarn, style);
  return text;
}

std::string PeersCell(const v1::NodeStatus& node, const Style& style) {
  if (node.peers_expected() == 0) return absl::StrCat(node.peers_heard(), "/-");
  std::string text = absl::StrCat(node.peers_heard(), "/", node.peers_expected());
  if (node.peers_heard() == 0) return Paint(text, Tone::kBad, style);
  if (node.peers_heard() < node.peers_expected()) return Paint(text, Tone::kWarn, style);
  return text;
}

std::string LastSeenCell(const v1::NodeStatus& node, const Style& style) {
  std::string text = FormatAgeMs(node.last_seen_age_ms());
  if (!node.connected()) {
    return Paint(absl::StrCat(text, " (no stream)"), Tone::kWarn, style);
  }
  return text;
}

std::string FleetHeadline(const v1::FleetStatus& status, const Style& style) {
  int healthy = 0;
  for (const auto& node : status.nodes()) healthy += node.state() == v1::HEALTHY;
  int unobserved = 0;
  for (const auto& node : status.nodes()) unobserved += node.unobserved() ? 1 : 0;
  const bool simplex = status.mode() == v1::CONSENSUS_MODE_SIMPLEX;
  // Simplex counts one vote per participant: "quorum 5 of 7 votes".
  std::string quorum =
      simplex ? absl::StrCat("Simplex, quorum ", status.quorum_weight(), " of ",
                             status.total_weight(), " votes")
              : absl::StrCat("weight ", status.total_weight(), ", quorum ", status.quorum_weight());
  std::string line = absl::StrCat(
      Paint("FLEET", Tone::kBold, style), "  ", status.nodes_size(), " nodes, ", healthy,
      " healthy", unobserved > 0 ? absl::StrCat(", ", unobserved, " unobserved (no agent)") : "",
      "  |  height ", status.max_height(), " (quorum height ", status.quorum_height(), ")  |  ",
      quorum,
      status.validator_source().empty()
          ? ""
          : absl::StrCat(" (validators from ", status.validator_source(), ")"),
      "\n");
  if (status.has_quorum_margin()) {
    const v1::QuorumMargin& m = status.quorum_margin();
    Tone tone = m.margin() < 0 ? Tone::kBad : m.one_loss_halts() ? Tone::kWarn : Tone::kGood;
    absl::StrAppend(&line, Paint("QUORUM", Tone::kBold, style), "  ", Paint(m.text(), tone, style),
                    "\n");
  }
  const v1::CollectorInfo& collector = status.collector();
  if (collector.degraded()) {
    absl::StrAppend(&line,
                    Paint(absl::StrCat("collector degraded: ingest lags ",
                                       FormatAgeMs(collector.ingest_lag_ms()),
                                       "; silence verdicts are held back"),
                          Tone::kWarn, style),
                    "\n");
  }
  if (!collector.warming_up().empty()) {
    absl::StrAppend(&line, Paint(collector.warming_up(), Tone::kWarn, style), "\n");
  }
  if (!collector.partial_blindness().empty()) {
    absl::StrAppend(&line, Paint(collector.partial_blindness(), Tone::kWarn, style), "\n");
  }
  return line;
}

std::string OpenIncidents(const v1::FleetStatus& status, const Style& style) {
  if (status.open_incidents().empty()) {
    return absl::StrCat(Paint("No open incidents.", Tone::kGood, style), "\n");
  }
  std::vector<v1::Incident> incidents(status.open_incidents().begin(),
                                      status.open_incidents().end());
  std::stable_sort(incidents.begin(), incidents.end(),
                   [](const auto& a, const auto& b) { return a.severity() < b.severity(); });
  absl::Time now = absl::FromUnixMillis(status.collector().now_unix_ms());
  TextTable table({"SEV", "KIND", "WHAT AND WHERE", "SINCE", "ID"});
  for (const auto& incident : incidents) {
    table.AddRow({SeverityLabel(incident.severity(), style), IncidentKindName(incident),
                  incident.summary(),
                  FormatAge(now - absl::FromUnixMillis(incident.opened_unix_ms())), incident.id()});
  }
  return absl::StrCat(
      Paint(absl::StrCat("OPEN INCIDENTS (", incidents.size(), ")"), Tone::kBold, style), "\n",
      table.Render(style));
}

}  // namespace

std::string SeverityLabel(v1::Severity severity, const Style& style) {
  switch (severity) {
    case v1::P1:
      return Paint("P1", Tone::kCritical, style);
    case v1::P2:
      return Paint("P2", Tone::kWarn, style);
    case v1::P3:
      return Paint("P3", Tone::kInfo, style);
    default:
      return "-";
  }
}

std::string NodeStateLabel(v1::NodeState state, const Style& style) {
  std::string word = state == v1::NODE_STATE_UNSPECIFIED
                         ? "unknown"
                         : absl::AsciiStrToLower(v1::NodeState_Name(state));
  switch (state) {
    case v1::HEALTHY:
      return Paint(word, Tone::kGood, style);
    case v1::DEGRADED:
      return Paint(word, Tone::kWarn, style);
    case v1::ISOLATED:
    case v1::DOWN:
      return Paint(word, Tone::kBad, style);
    case v1::UNREACHABLE:
    case v1::UNOBSERVED:
      return Paint(word, Tone::kInfo, style);
    default:
      return Paint(word, Tone::kDim, style);
  }
}

std::string RenderFleetStatusTable(const v1::FleetStatus& status, const Style& style) {
  std::vector<v1::NodeStatus> nodes(status.nodes().begin(), status.nodes().end());
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) {
    if (TroubleRank(a.state()) != TroubleRank(b.state())) {
      return TroubleRank(a.state()) < TroubleRank(b.state());
    }
    if (a.lag() != b.lag()) return a.lag() > b.lag();
    return NaturalLess(a.node_id(), b.node_id());
  });
  TextTable table({"NODE", "ROLE", "STATE", "HEIGHT", "LAG", "VIEW", "PEERS", "DISK", "MEMORY",
                   "LAST SEEN", "WHY"});
  for (size_t column : {3, 4, 5, 6, 7}) table.AlignRight(column);
  for (const auto& node : nodes) {
    if (node.unobserved()) {
      // No agent: nothing measured on the node itself; the reason says who hears it.
      table.AddRow({node.node_id(), node.role().empty() ? "-" : node.role(),
                    NodeStateLabel(node.state(), style), "-", "-", "-", "-", "-", "-", "-",
                    node.state_reason()});
      continue;
    }
    std::string lag = node.lag() == 0 ? "0" : absl::StrCat("-", node.lag());
    if (node.lag() > 0) lag = Paint(lag, Tone::kWarn, style);
    table.AddRow({node.node_id(), node.role().empty() ? "-" : node.role(),
                  NodeStateLabel(node.state(), style), absl::StrCat(node.height()), lag,
                  absl::StrCat(node.view()), PeersCell(node, style), DiskCell(node, style),
                  MemoryCell(node), LastSeenCell(node, style),
                  node.state_reason().empty() ? "" : node.state_reason()});
  }
  return absl::StrCat(FleetHeadline(status, style), OpenIncidents(status, style), "\n",
                      table.Render(style));
}

}  // namespace guts::ctl
