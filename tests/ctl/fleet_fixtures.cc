#include "tests/ctl/fleet_fixtures.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace guts::ctl::testing {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

v1::NodeStatus Node(const std::string& id, v1::NodeState state, const std::string& reason,
                    uint64_t height, uint64_t view, uint32_t heard, uint32_t expected) {
  v1::NodeStatus node;
  node.set_node_id(id);
  node.set_role("validator");
  node.set_state(state);
  node.set_state_reason(reason);
  node.set_height(height);
  node.set_view(view);
  node.set_peers_heard(heard);
  node.set_peers_expected(expected);
  node.set_disk_used_ratio(0.41);
  node.set_memory_rss_bytes(412 * kMiB);
  node.set_memory_limit_bytes(2048 * kMiB);
  node.set_last_seen_age_ms(600);
  node.set_connected(true);
  node.set_last_seq(5400);
  node.set_agent_version("0.1.0");
  node.set_node_version("0.9.2");
  node.set_health_status("up");
  node.set_weight(100);
  return node;
}

void AddCell(v1::Topology& topology, const std::string& from, const std::string& to, bool heard,
             int64_t age_ms, bool reachable) {
  v1::MatrixCell* cell = topology.add_matrix();
  cell->set_from(from);
  cell->set_to(to);
  cell->set_heard(heard);
  cell->set_last_heard_age_ms(age_ms);
  cell->set_reachable(reachable);
}

v1::NodeGroup Group(std::vector<std::string> nodes, uint64_t weight, bool quorum, uint64_t height) {
  v1::NodeGroup group;
  for (const auto& node : nodes) group.add_nodes(node);
  group.set_weight(weight);
  group.set_has_quorum(quorum);
  group.set_height(height);
  return group;
}

void AddTimeline(v1::Incident& incident, int64_t unix_ms, const std::string& event) {
  v1::TimelineEntry* entry = incident.add_timeline();
  entry->set_unix_ms(unix_ms);
  entry->set_event(event);
}

// A real .tar.gz (gutsctl checks the entries of what it downloads) of about `size` bytes: one
// entry of seeded pseudo-random, hence incompressible, bytes.
std::string Archive(const std::string& seed, size_t size) {
  std::string bytes;
  uint32_t x = 2166136261u;
  for (char c : seed) x = (x ^ static_cast<unsigned char>(c)) * 16777619u;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    bytes.push_back(static_cast<char>(x >> 16));
  }
  return TarGz({{"node/node.log", bytes}});
}

v1::BundleInfo CompleteBundle(FleetFixture& fixture, const std::string& id, const std::string& node,
                              size_t size) {
  std::string archive = Archive(id, size);
  v1::BundleInfo info;
  info.set_id(id);
  info.set_node_id(node);
  info.set_state(v1::BUNDLE_COMPLETE);
  info.set_requested_unix_ms(kNowUnixMs - 20000);
  info.set_completed_unix_ms(kNowUnixMs - 12000);
  info.set_size_bytes(archive.size());
  info.set_sha256(Sha256Hex(archive));
  info.set_requested_by("oncall@ops");
  v1::BundleSummary* summary = info.mutable_summary();
  summary->set_sources_ok(6);
  summary->set_sources_failed(1);
  summary->set_sources_timed_out(0);
  summary->set_redactions(14);
  v1::SourceOutcome* failed = summary->add_sources();
  failed->set_name("journal");
  failed->set_status("failed");
  failed->set_error("journalctl: no such unit guts-node");
  fixture.archives[id] = archive;
  *fixture.bundles.add_bundles() = info;
  return info;
}

v1::BundleInfo PendingBundle(const std::string& id, const std::string& node) {
  v1::BundleInfo info;
  info.set_id(id);
  info.set_node_id(node);
  info.set_state(v1::BUNDLE_PENDING);
  info.set_requested_unix_ms(kNowUnixMs - 20000);
  info.set_expires_unix_ms(kNowUnixMs + 3600000 - 20000);
  info.set_requested_by("oncall@ops");
  return info;
}

v1::NodeDetail Detail(const v1::NodeStatus& status, const std::vector<std::string>& all,
                      const std::vector<std::string>& heard) {
  v1::NodeDetail detail;
  *detail.mutable_status() = status;
  detail.set_first_seen_unix_ms(kNowUnixMs - 86400000);
  detail.set_received_unix_ms(kNowUnixMs - status.last_seen_age_ms());
  (*detail.mutable_labels())["zone"] = "eu-west-1a";
  (*detail.mutable_labels())["operator"] = "guts-labs";
  v1::Snapshot& snapshot = *detail.mutable_latest();
  snapshot.set_node_id(status.node_id());
  snapshot.set_seq(status.last_seq());
  v1::ConsensusView& consensus = *snapshot.mutable_consensus();
  consensus.set_observed(true);
  consensus.set_api_enabled(true);
  consensus.set_state("Active");
  consensus.set_view(status.view());
  consensus.set_finalized_height(status.height());
  consensus.set_last_finalized_age_ms(95000);
  consensus.set_current_leader("a3f9c2");
  consensus.set_mempool_transaction_count(318);
  v1::SystemFacts& system = *snapshot.mutable_system();
  system.set_cpu_busy_ratio(0.23);
  system.set_cpu_count(4);
  system.set_node_cpu_ratio(0.61);
  system.set_load1(0.82);
  system.set_load5(0.71);
  system.set_load15(0.66);
  system.set_data_dir("/var/lib/guts");
  system.set_disk_total_bytes(200ull * 1024 * kMiB);
  int index = 0;
  for (const std::string& peer : all) {
    if (peer == status.node_id()) continue;
    ++index;
    std::string addr = absl::StrCat("127.0.0.", 10 + std::stoi(peer.substr(1)), ":9000");
    bool hears = std::find(heard.begin(), heard.end(), peer) != heard.end();
    v1::PeerView* view = snapshot.add_peers();
    view->set_remote_addr(addr);
    view->set_direction(index % 2 ? v1::PEER_DIRECTION_OUTBOUND : v1::PEER_DIRECTION_INBOUND);
    view->set_last_data_recv_age_ms(hears ? 120 + index * 40 : 95000);
    view->set_last_data_sent_age_ms(hears ? 80 + index * 30 : 94000);
    view->set_rtt_us(350 + index * 20);
    view->set_total_retransmits(hears ? 0 : 41);
    view->set_send_queue_bytes(hears ? 0 : 18432);
    view->set_tcp_state("ESTABLISHED");
    v1::ProbeResult* probe = snapshot.add_probes();
    probe->set_addr(addr);
    probe->set_name(peer);
    probe->set_reachable(hears);
    probe->set_connect_ms(hears ? 1 : 0);
    if (!hears) probe->set_error("timeout after 500 ms");
  }
  return detail;
}

std::vector<v1::HistoryPoint> StallingHistory(uint64_t last_height, uint32_t peers_before,
                                              uint32_t peers_after) {
  std::vector<v1::HistoryPoint> points;
  for (int i = 0; i < 30; ++i) {
    v1::HistoryPoint point;
    point.set_unix_ms(kNowUnixMs - (29 - i) * 60000);
    point.set_seq(static_cast<uint64_t>(3600 + i * 60));
    bool split = i >= 28;
    point.set_height(split ? last_height : last_height - static_cast<uint64_t>((27 - i) * 60));
    point.set_view(900 + static_cast<uint64_t>(i / 3) + (split ? 8 : 0));
    point.set_peers_heard(split ? peers_after : peers_before);
    point.set_cpu_busy_ratio(0.2 + 0.01 * (i % 7));
    point.set_memory_rss_bytes((400 + static_cast<uint64_t>(i) / 2) * kMiB);
    point.set_disk_used_ratio(0.41);
    points.push_back(point);
  }
  return points;
}

}  // namespace

std::string TarGz(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<char> buffer(1 << 20);
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, buffer.data(), buffer.size(), &used);
  for (const auto& [name, data] : files) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
    archive_write_header(a, entry);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

FleetFixture FourThreeSplitOfSeven() {
  FleetFixture fixture;
  const std::vector<std::string> a = {"v1", "v2", "v3", "v4"}, b = {"v5", "v6", "v7"};
  std::vector<std::string> all = a;
  all.insert(all.end(), b.begin(), b.end());

  v1::FleetStatus& status = fixture.status;
  for (const auto& id : a) {
    *status.add_nodes() =
        Node(id, v1::DEGRADED, "hears 3 of 6 peers; no block for 1m35s", 1842, 913, 3, 6);
  }
  for (const auto& id : b) {
    *status.add_nodes() =
        Node(id, v1::DEGRADED, "hears 2 of 6 peers; no block for 1m35s", 1839, 917, 2, 6);
  }
  status.mutable_nodes(6)->set_disk_used_ratio(0.87);
  status.mutable_nodes(5)->set_last_seen_age_ms(1400);
  status.set_max_height(1842);
  status.set_quorum_height(1839);
  status.set_total_weight(700);
  status.set_quorum_weight(467);
  v1::CollectorInfo& collector = *status.mutable_collector();
  collector.set_version("0.1.0");
  collector.set_now_unix_ms(kNowUnixMs);
  collector.set_streams_connected(7);
  collector.set_ingest_snapshots_per_second(7.0);
  collector.set_ingest_lag_ms(4);
  collector.set_started_unix_ms(kNowUnixMs - 7200000);

  v1::Incident split;
  split.set_id("inc-0042");
  split.set_kind(v1::PARTITION_NO_QUORUM);
  split.set_kind_name("PARTITION_NO_QUORUM");
  split.set_severity(v1::P1);
  split.set_state(v1::OPEN);
  split.set_summary("network split 4|3, no side holds the quorum (400 and 300 of 467 needed)");
  for (const auto& id : all) split.add_nodes(id);
  *split.add_groups() = Group(a, 400, false, 1842);
  *split.add_groups() = Group(b, 300, false, 1839);
  (*split.mutable_evidence())["quorum_weight"] = "467 of 700";
  (*split.mutable_evidence())["largest side"] = "v1 v2 v3 v4: 400";
  (*split.mutable_evidence())["cut links"] = "12 of 21, none heard for 95 s";
  (*split.mutable_evidence())["last finalized"] = "1842 at 02:58:25 UTC, views climbing 913..917";
  split.mutable_runbook()->set_name("network-partition");
  split.mutable_runbook()->add_steps(
      "Confirm the cut: gutsctl net matrix (red cells are links not heard)");
  split.mutable_runbook()->add_steps(
      "Check the network between the sides (security groups, routes, firewall changes in the "
      "last hour)");
  split.mutable_runbook()->add_steps(
      "Do not restart nodes: they hold no fault; blocks resume once the links heal");
  split.mutable_runbook()->add_steps(
      "Collect bundles from both sides: gutsctl diag collect --nodes v1,v5");
  split.set_opened_unix_ms(kNowUnixMs - 95000);
  split.set_updated_unix_ms(kNowUnixMs - 35000);
  split.set_height(1842);
  split.add_absorbed("NODE_ISOLATED v5");
  split.add_absorbed("CONSENSUS_STUCK");
  split.set_cause_key("partition:v1,v2,v3,v4|v5,v6,v7");
  // Cut, healed after 30 s, cut again 10 s later: one incident, two episodes.
  v1::IncidentEpisode* first = split.add_episodes();
  first->set_opened_unix_ms(kNowUnixMs - 95000);
  first->set_resolved_unix_ms(kNowUnixMs - 65000);
  split.add_episodes()->set_opened_unix_ms(kNowUnixMs - 55000);
  split.set_episode_count(2);
  AddTimeline(split, kNowUnixMs - 95000, "opened: split 4|3, no side holds the quorum");
  AddTimeline(split, kNowUnixMs - 35000, "updated: absorbed CONSENSUS_STUCK (no block 60 s)");
  *status.add_open_incidents() = split;

  v1::Incident resolved;
  resolved.set_id("inc-0039");
  resolved.set_kind(v1::FLAPPING_LINK);
  resolved.set_kind_name("FLAPPING_LINK");
  resolved.set_severity(v1::P3);
  resolved.set_state(v1::RESOLVED);
  resolved.set_summary("link v2-v6 flapped 7 times in 10 min");
  resolved.add_nodes("v2");
  resolved.add_nodes("v6");
  resolved.set_opened_unix_ms(kNowUnixMs - 5400000);
  resolved.set_resolved_unix_ms(kNowUnixMs - 4200000);
  *fixture.incidents.add_incidents() = split;
  *fixture.incidents.add_incidents() = resolved;

  v1::Topology& topology = fixture.topology;
  *topology.add_components() = Group(a, 400, false, 1842);
  *topology.add_components() = Group(b, 300, false, 1839);
  for (const auto& from : a) {
    for (const auto& to : b) {
      v1::Link* link = topology.add_cut_edges();
      link->set_from(from);
      link->set_to(to);
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      if (i == j) continue;
      bool same_side = (i < a.size()) == (j < a.size());
      if (same_side) {
        AddCell(topology, all[i], all[j], true, 100 + static_cast<int64_t>((37 * (i + j)) % 800),
                true);
      } else {
        AddCell(topology, all[i], all[j], false, 95000 + static_cast<int64_t>(i) * 1000, false);
      }
    }
  }
  topology.set_total_weight(700);
  topology.set_quorum_weight(467);
  for (const auto& id : all) topology.add_nodes(id);

  for (const auto& node : status.nodes()) {
    const std::vector<std::string>& side = node.node_id() <= "v4" ? a : b;
    fixture.details[node.node_id()] = Detail(node, all, side);
    fixture.history[node.node_id()] = StallingHistory(node.height(), 6, node.peers_heard());
  }

  fixture.collect_outcomes["v1"] = CompleteBundle(fixture, "b-0007", "v1", 5000);
  fixture.collect_outcomes["v5"] = CompleteBundle(fixture, "b-0008", "v5", 3333);
  fixture.collect_outcomes["v6"] = PendingBundle("b-0009", "v6");
  *fixture.bundles.add_bundles() = fixture.collect_outcomes["v6"];
  return fixture;
}

FleetFixture MixedFleetWithoutP1() {
  FleetFixture fixture;
  v1::FleetStatus& status = fixture.status;
  *status.add_nodes() = Node("v1", v1::HEALTHY, "", 20511, 3120, 3, 4);
  v1::NodeStatus v2 = Node("v2", v1::UNREACHABLE, "no snapshot for 47s; its peers still hear it",
                           20498, 3119, 3, 4);
  v2.set_last_seen_age_ms(47000);
  v2.set_connected(false);
  *status.add_nodes() = v2;
  v1::NodeStatus v3 = Node("v3", v1::DEGRADED, "disk 93% used", 20511, 3120, 3, 4);
  v3.set_disk_used_ratio(0.93);
  *status.add_nodes() = v3;
  v1::NodeStatus v4 =
      Node("v4", v1::DOWN, "no snapshot for 3m12s; peers stopped hearing it", 19870, 3011, 0, 4);
  v4.set_last_seen_age_ms(192000);
  v4.set_connected(false);
  v4.set_lag(641);
  *status.add_nodes() = v4;
  v1::NodeStatus v5 = Node("v5", v1::DEGRADED, "57 blocks behind the quorum", 20454, 3120, 1, 4);
  v5.set_lag(57);
  v5.set_memory_limit_bytes(0);
  *status.add_nodes() = v5;
  v1::NodeStatus o1 = Node("o1", v1::HEALTHY, "", 20511, 3120, 4, 0);
  o1.set_role("observer");
  o1.set_weight(0);
  *status.add_nodes() = o1;
  status.set_max_height(20511);
  status.set_quorum_height(20511);
  status.set_total_weight(500);
  status.set_quorum_weight(334);
  // v4 down: 400 up, margin 66; losing any one more validator (100) halts the chain.
  v1::QuorumMargin& margin = *status.mutable_quorum_margin();
  margin.set_up_weight(400);
  margin.set_total_weight(500);
  margin.set_quorum_weight(334);
  margin.set_margin(66);
  margin.set_heaviest_up("v1");
  margin.set_heaviest_up_weight(100);
  margin.set_one_loss_halts(true);
  margin.add_lost("v4");
  margin.set_text("up 400 of 500, quorum 334, margin 66: losing v1 (100) halts the chain");
  v1::CollectorInfo& collector = *status.mutable_collector();
  collector.set_version("0.1.0");
  collector.set_now_unix_ms(kNowUnixMs);
  collector.set_streams_connected(4);
  collector.set_degraded(true);
  collector.set_ingest_lag_ms(8300);

  auto incident = [&](const std::string& id, v1::IncidentKind kind, v1::Severity severity,
                      const std::string& summary, std::vector<std::string> nodes, int64_t age_ms) {
    v1::Incident out;
    out.set_id(id);
    out.set_kind(kind);
    out.set_kind_name(v1::IncidentKind_Name(kind));
    out.set_severity(severity);
    out.set_state(v1::OPEN);
    out.set_summary(summary);
    for (const auto& node : nodes) out.add_nodes(node);
    out.set_opened_unix_ms(kNowUnixMs - age_ms);
    out.set_updated_unix_ms(kNowUnixMs - age_ms);
    return out;
  };
  // Deliberately not in severity order: the renderer sorts.
  *status.add_open_incidents() =
      incident("inc-0051", v1::COLLECTOR_UNREACHABLE, v1::P3,
               "v2 silent to the collector, its peers hear it", {"v2"}, 40000);
  *status.add_open_incidents() = incident("inc-0049", v1::NODE_DOWN, v1::P2,
                                          "v4 down: no snapshot for 3m12s, peers stopped hearing "
                                          "it",
                                          {"v4"}, 185000);
  *status.add_open_incidents() =
      incident("inc-0050", v1::NODE_LAGGING, v1::P2, "v5 57 blocks behind the quorum and falling",
               {"v5"}, 90000);
  *status.add_open_incidents() = incident("inc-0052", v1::ONE_WAY_LINK, v1::P3,
                                          "v5 does not hear v2 (v2 hears v5)", {"v2", "v5"}, 30000);
  for (const auto& open : status.open_incidents()) *fixture.incidents.add_incidents() = open;

  v1::Topology& topology = fixture.topology;
  *topology.add_components() = Group({"v1", "v2", "v3", "v5"}, 400, true, 20511);
  topology.add_bridges("v3");
  v1::Link* cut = topology.add_cut_edges();
  cut->set_from("v3");
  cut->set_to("v5");
  v1::Link* one_way = topology.add_one_way_links();
  one_way->set_from("v2");
  one_way->set_to("v5");
  const std::vector<std::string> up = {"v1", "v2", "v3", "v5"};
  for (const auto& from : up) {
    for (const auto& to : up) {
      if (from == to) continue;
      bool heard = true;
      if ((from == "v5" && to == "v1") || (from == "v1" && to == "v5")) heard = false;
      if (from == "v5" && to == "v2") heard = false;  // the one-way link: v2 -> v5 lost
      AddCell(topology, from, to, heard, heard ? 250 : 64000, from != "v5" || to == "v3");
    }
  }
  topology.set_total_weight(500);
  topology.set_quorum_weight(334);
  for (const auto& id : {"v1", "v2", "v3", "v4", "v5"}) topology.add_nodes(id);
  topology.add_silent_nodes("v4");
  return fixture;
}

}  // namespace guts::ctl::testing
