// One node: its detail, and its history as sparklines.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

// An empty value (the node's API did not answer) shows as "-", never as a blank.
std::string Field(absl::string_view name, absl::string_view value, const Style& style) {
  return absl::StrCat("  ", Paint(absl::StrFormat("%-12s", name), Tone::kBold, style),
                      value.empty() ? "-" : value, "\n");
}

std::string Section(absl::string_view title, const Style& style) {
  return absl::StrCat("\n", Paint(title, Tone::kBold, style), "\n");
}

std::string Direction(v1::PeerDirection direction) {
  switch (direction) {
    case v1::PEER_DIRECTION_INBOUND:
      return "in";
    case v1::PEER_DIRECTION_OUTBOUND:
      return "out";
    default:
      return "-";
  }
}

// The agent-given name the collector knows for an address or key, else `fallback`.
std::string NameOf(const v1::NodeDetail& detail, const std::string& addr_or_key,
                   absl::string_view fallback) {
  auto it = detail.peer_names().find(addr_or_key);
  if (it != detail.peer_names().end() && !it->second.empty()) return it->second;
  return std::string(fallback);
}

std::string PeersSection(const v1::NodeDetail& detail, const Style& style) {
  const v1::Snapshot& snapshot = detail.latest();
  if (snapshot.peers().empty()) return "";
  TextTable table(
      {"PEER", "ADDRESS", "DIR", "LAST RECV", "LAST SENT", "RTT", "RETRANS", "SEND-Q", "TCP"});
  for (size_t c : {3, 4, 5, 6, 7}) table.AlignRight(c);
  for (const v1::PeerView& peer : snapshot.peers()) {
    std::string recv = FormatAgeMs(peer.last_data_recv_age_ms());
    if (peer.last_data_recv_age_ms() > 5000) recv = Paint(recv, Tone::kBad, style);
    table.AddRow({NameOf(detail, peer.remote_addr(), "-"), peer.remote_addr(),
                  Direction(peer.direction()), recv, FormatAgeMs(peer.last_data_sent_age_ms()),
                  absl::StrFormat("%.1fms", peer.rtt_us() / 1000.0),
                  absl::StrCat(peer.total_retransmits()), absl::StrCat(peer.send_queue_bytes()),
                  peer.tcp_state()});
  }
  return absl::StrCat(Section("P2P SESSIONS", style), table.Render(style));
}

std::string ProbesSection(const v1::NodeDetail& detail, const Style& style) {
  const v1::Snapshot& snapshot = detail.latest();
  if (snapshot.probes().empty()) return "";
  TextTable table({"VALIDATOR", "ADDRESS", "REACHABLE", "CONNECT", "ERROR"});
  for (const v1::ProbeResult& probe : snapshot.probes()) {
    // The agent's name for the node at that address over the name the node's list gives it.
    table.AddRow(
        {NameOf(detail, probe.addr(), probe.name().empty() ? "-" : probe.name()), probe.addr(),
         probe.reachable() ? Paint("yes", Tone::kGood, style) : Paint("no", Tone::kBad, style),
         probe.reachable() ? absl::StrCat(probe.connect_ms(), "ms") : "-", probe.error()});
  }
  return absl::StrCat(Section("P2P PROBES", style), table.Render(style));
}

std::string ProblemsSection(const v1::Snapshot& snapshot, const Style& style) {
  std::string out;
  for (const v1::SourceError& error : snapshot.source_errors()) {
    absl::StrAppend(&out, "  ", Paint(error.source(), Tone::kWarn, style), ": ", error.message(),
                    error.timed_out() ? " (timed out)" : "", "\n");
  }
  for (const std::string& line : snapshot.log().recent_errors()) {
    absl::StrAppend(&out, "  log: ", line, "\n");
  }
  if (out.empty()) return "";
  return absl::StrCat(Section("SOURCE ERRORS AND RECENT LOG ERRORS", style), out);
}

}  // namespace

std::string RenderNodeDetailTable(const v1::NodeDetail& detail, absl::Time now,
                                  const Style& style) {
  const v1::NodeStatus& node = detail.status();
  const v1::Snapshot& snapshot = detail.latest();
  std::string out = absl::StrCat(Paint(node.node_id(), Tone::kBold, style), "  ",
                                 NodeStateLabel(node.state(), style));
  if (!node.state_reason().empty()) absl::StrAppend(&out, "  (", node.state_reason(), ")");
  absl::StrAppend(&out, "\n");
  absl::StrAppend(&out,
                  Field("role", absl::StrCat(node.role(), ", weight ", node.weight()), style));
  absl::StrAppend(&out, Field("p2p", node.p2p_addr().empty() ? "-" : node.p2p_addr(), style));
  absl::StrAppend(
      &out,
      Field("versions",
            absl::StrCat("node ", node.node_version().empty() ? "-" : node.node_version(),
                         ", agent ", node.agent_version().empty() ? "-" : node.agent_version()),
            style));
  absl::StrAppend(&out, Field("health", node.health_status(), style));
  absl::StrAppend(
      &out, Field("last seen",
                  absl::StrCat(FormatAgeMs(node.last_seen_age_ms()), " ago, seq ", node.last_seq(),
                               node.connected() ? ", stream connected" : ", stream not connected"),
                  style));
  if (detail.received_unix_ms() != 0) {
    absl::StrAppend(
        &out, Field("snapshot",
                    absl::StrCat("received ", FormatUtcMs(detail.received_unix_ms()), " (",
                                 FormatAge(now - absl::FromUnixMillis(detail.received_unix_ms())),
                                 " ago)"),
                    style));
  }
  if (detail.first_seen_unix_ms() != 0) {
    absl::StrAppend(&out, Field("first seen", FormatUtcMs(detail.first_seen_unix_ms()), style));
  }
  if (const v1::SnapshotLoss& loss = detail.loss();
      loss.spool_dropped() > 0 || loss.seqs_missing() > 0) {
    // Known missing history: what the agent's spool dropped and holes in the stored seqs.
    absl::StrAppend(
        &out,
        Field("lost",
              Paint(absl::StrCat(
                        loss.spool_dropped(), " snapshot(s) dropped by the agent's full spool, ",
                        loss.seqs_missing(), " seq(s) missing in ", loss.seq_gaps(), " gap(s)"),
                    Tone::kWarn, style),
              style));
  }

  if (!node.incident_ids().empty()) {
    absl::StrAppend(&out, Field("incidents", absl::StrJoin(node.incident_ids(), " "), style));
  }
  if (!detail.labels().empty()) {
    std::map<std::string, std::string> labels(detail.labels().begin(), detail.labels().end());
    absl::StrAppend(&out,
                    Field("labels", absl::StrJoin(labels, " ", absl::PairFormatter("=")), style));
  }

  const v1::ConsensusView& consensus = snapshot.consensus();
  absl::StrAppend(&out, Section("CONSENSUS", style));
  absl::StrAppend(
      &out,
      Field("height",
            absl::StrCat(node.height(),
                         node.lag() > 0 ? absl::StrCat(" (", node.lag(), " behind quorum)") : ""),
            style));
  absl::StrAppend(&out, Field("view", absl::StrCat(node.view()), style));
  if (consensus.observed()) {
    absl::StrAppend(&out, Field("state", consensus.state(), style));
    absl::StrAppend(
        &out, Field("finalized",
                    absl::StrCat(FormatAgeMs(consensus.last_finalized_age_ms()), " ago"), style));
    absl::StrAppend(
        &out, Field("leader",
                    consensus.is_leader() ? "this node"
                    : consensus.current_leader().empty()
                        ? "-"
                        : NameOf(detail, consensus.current_leader(), consensus.current_leader()),
                    style));
    absl::StrAppend(
        &out, Field("mempool", absl::StrCat(consensus.mempool_transaction_count(), " transactions"),
                    style));
  }
  absl::StrAppend(
      &out,
      Field("peers", absl::StrCat(node.peers_heard(), " of ", node.peers_expected(), " heard"),
            style));

  const v1::SystemFacts& system = snapshot.system();
  absl::StrAppend(&out, Section("SYSTEM", style));
  absl::StrAppend(&out, Field("cpu",
                              absl::StrCat(FormatPercent(system.cpu_busy_ratio()), " host (",
                                           system.cpu_count(), " cores), node ",
                                           FormatPercent(system.node_cpu_ratio()), " of a core"),
                              style));
  absl::StrAppend(
      &out,
      Field("memory",
            absl::StrCat(node.memory_rss_bytes() == 0 ? "-" : FormatBytes(node.memory_rss_bytes()),
                         node.memory_limit_bytes()
                             ? absl::StrCat(" of ", FormatBytes(node.memory_limit_bytes()))
                             : ""),
            style));
  absl::StrAppend(
      &out, Field("disk",
                  absl::StrCat(
                      FormatPercent(node.disk_used_ratio()), " used",
                      system.disk_total_bytes()
                          ? absl::StrCat(" of ", FormatBytes(system.disk_total_bytes()))
                          : "",
                      system.data_dir().empty() ? "" : absl::StrCat(" (", system.data_dir(), ")")),
                  style));
  absl::StrAppend(&out, Field("load",
                              absl::StrFormat("%.2f %.2f %.2f", system.load1(), system.load5(),
                                              system.load15()),
                              style));
  if (system.node_restarts() > 0) {
    absl::StrAppend(&out, Field("restarts", absl::StrCat(system.node_restarts()), style));
  }
  absl::StrAppend(&out, PeersSection(detail, style), ProbesSection(detail, style),
                  ProblemsSection(snapshot, style));
  return out;
}

std::string RenderNodeHistoryTable(absl::string_view node_id,
                                   const std::vector<v1::HistoryPoint>& points, size_t width,
                                   const Style& style) {
  if (points.empty()) {
    return absl::StrCat("no history for ", node_id, " in this range\n");
  }
  std::string out = absl::StrCat(Paint(node_id, Tone::kBold, style), "  ", points.size(),
                                 " points, ", FormatUtcMs(points.front().unix_ms()), " .. ",
                                 FormatUtcMs(points.back().unix_ms()), "\n");
  struct Series {
    std::string name;
    std::vector<double> values;
    std::function<std::string(double)> format;
  };
  auto integer = [](double v) { return absl::StrCat(static_cast<uint64_t>(v)); };
  std::vector<Series> series = {
      {"height", {}, integer},
      {"view", {}, integer},
      {"peers", {}, integer},
      {"cpu", {}, [](double v) { return FormatPercent(v); }},
      {"memory", {}, [](double v) { return FormatBytes(static_cast<uint64_t>(v)); }},
  };
  for (const v1::HistoryPoint& point : points) {
    series[0].values.push_back(static_cast<double>(point.height()));
    series[1].values.push_back(static_cast<double>(point.view()));
    series[2].values.push_back(point.peers_heard());
    series[3].values.push_back(point.cpu_busy_ratio());
    series[4].values.push_back(static_cast<double>(point.memory_rss_bytes()));
  }
  TextTable table({"", "OVER TIME", "FIRST", "LAST", "MIN", "MAX"});
  for (size_t c : {2, 3, 4, 5}) table.AlignRight(c);
  for (const Series& s : series) {
    auto [lo, hi] = std::minmax_element(s.values.begin(), s.values.end());
    table.AddRow({s.name, Paint(Sparkline(s.values, width), Tone::kInfo, style),
                  s.format(s.values.front()), s.format(s.values.back()), s.format(*lo),
                  s.format(*hi)});
  }
  out += table.Render(style);
  uint64_t dropped = 0, missing = 0, gaps = 0;
  for (const v1::HistoryPoint& point : points) {
    dropped += point.spool_dropped();
    missing += point.seqs_missing_before();
    if (point.seqs_missing_before() > 0) ++gaps;
  }
  if (dropped > 0 || missing > 0) {
    absl::StrAppend(&out,
                    Paint(absl::StrCat("lost history in this range: ", dropped,
                                       " snapshot(s) dropped by the agent's full spool, ", missing,
                                       " seq(s) missing in ", gaps, " gap(s)"),
                          Tone::kWarn, style),
                    "\n");
  }
  return out;
}

}  // namespace guts::ctl
