#include "bench/loadgen/realistic_snapshot.h"

#include "absl/strings/str_cat.h"

namespace guts::bench {

using guts::diag::v1::Snapshot;

namespace {

std::string FleetIp(int index) {
  return absl::StrCat("10.", (index >> 16) & 0xff, ".", (index >> 8) & 0xff, ".", index & 0xff);
}

}  // namespace

std::string RealisticSnapshot::P2pAddress(int index) { return FleetIp(index) + ":9000"; }

RealisticSnapshot::RealisticSnapshot(const std::string& node_id, int index, uint32_t seed,
                                     int fleet)
    : rng_(seed) {
  s_.set_node_id(node_id);
  s_.set_interval_ms(1000);
  auto* h = s_.mutable_health();
  h->set_reachable(true);
  h->set_http_status(200);
  h->set_status("up");
  h->set_version("0.4.2");
  h->set_live_http_status(200);
  h->set_ready_http_status(200);
  h->set_startup_http_status(200);
  for (const char* check : {"storage", "p2p", "realtime"}) {
    auto& c = (*h->mutable_checks())[check];
    c.set_status("up");
    c.set_latency_ms(1);
  }
  auto* c = s_.mutable_consensus();
  c->set_api_enabled(true);
  c->set_state("Active");
  c->set_height_source(guts::diag::v1::HEIGHT_SOURCE_API);
  c->set_observed(true);
  c->set_current_leader("8f3a9c0d4e5b6a7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7");
  for (int p = 0; p < 20; ++p) {
    auto* peer = s_.add_peers();
    bool outbound = p % 2 == 0;
    if (fleet > 0) {
      // Outbound to the node k after, inbound from the node k before (k = 1..10): each link
      // is reported by both of its ends.
      int k = p / 2 + 1;
      int other = ((outbound ? index + k : index - k) % fleet + fleet) % fleet;
      peer->set_remote_addr(outbound ? P2pAddress(other)
                                     : absl::StrCat(FleetIp(other), ":", 41000 + k * 53));
      peer->set_local_addr(outbound ? absl::StrCat(FleetIp(index), ":", 41000 + k * 53)
                                    : P2pAddress(index));
    } else {
      int other = (index + p + 1) % 256;
      peer->set_remote_addr(absl::StrCat("10.0.", other / 16, ".", other % 16 + 10, ":",
                                         outbound ? 9000 : 40000 + p * 37));
      peer->set_local_addr(absl::StrCat("10.0.", index / 16, ".", index % 16 + 10, ":",
                                        outbound ? 41000 + p * 53 : 9000));
    }
    peer->set_direction(outbound ? guts::diag::v1::PEER_DIRECTION_OUTBOUND
                                 : guts::diag::v1::PEER_DIRECTION_INBOUND);
    peer->set_tcp_state("ESTABLISHED");
  }
  auto* sys = s_.mutable_system();
  sys->set_cpu_count(8);
  sys->set_mem_total_bytes(32ull << 30);
  sys->set_data_dir("/var/lib/guts");
  sys->set_disk_total_bytes(512ull << 30);
  sys->set_inodes_total(33554432);
  sys->set_node_pid(4000 + index);
  auto* m = s_.mutable_metrics();
  (*m->mutable_series())["guts_p2p_peers_connected"] = 20;
  (*m->mutable_series())["guts_consensus_view"] = 0;
  auto* log = s_.mutable_log();
  log->set_starts_seen(1);
}

const Snapshot& RealisticSnapshot::Next(uint64_t seq, absl::Time taken) {
  std::uniform_int_distribution<uint32_t> age(0, 1200);
  std::uniform_int_distribution<uint32_t> rtt(150, 900);
  std::uniform_int_distribution<uint32_t> bytes(20000, 90000);
  std::uniform_real_distribution<double> ratio(0.05, 0.35);
  s_.set_seq(seq);
  s_.set_taken_unix_ms(absl::ToUnixMillis(taken));
  s_.mutable_health()->set_uptime_seconds(86400 + seq);
  s_.mutable_health()->set_latency_ms(1 + age(rng_) % 4);
  auto* c = s_.mutable_consensus();
  c->set_finalized_height(1'000'000 + seq);
  c->set_view(1'000'000 + seq);
  c->set_last_finalized_age_ms(age(rng_));
  c->set_pending_transactions(age(rng_) % 50);
  c->set_last_block_id(absl::StrCat("b", 1'000'000 + seq));
  for (auto& peer : *s_.mutable_peers()) {
    peer.set_last_data_recv_age_ms(age(rng_));
    peer.set_last_data_sent_age_ms(age(rng_));
    peer.set_rtt_us(rtt(rng_));
    peer.set_bytes_received(peer.bytes_received() + bytes(rng_));
    peer.set_bytes_acked(peer.bytes_acked() + bytes(rng_));
    if (age(rng_) < 12) peer.set_total_retransmits(peer.total_retransmits() + 1);
  }
  auto* sys = s_.mutable_system();
  sys->set_cpu_busy_ratio(ratio(rng_));
  sys->set_load1(1 + ratio(rng_) * 4);
  sys->set_load5(1.5);
  sys->set_load15(1.4);
  sys->set_mem_available_bytes((20ull << 30) + bytes(rng_) * 1000);
  sys->set_disk_available_bytes((300ull << 30) - seq * 65536);
  sys->set_inodes_free(30000000 - seq / 10);
  sys->set_node_rss_bytes((3ull << 30) + bytes(rng_) * 100);
  sys->set_node_open_fds(180 + age(rng_) % 8);
  sys->set_node_cpu_ratio(ratio(rng_));
  sys->set_host_open_fds(2400 + age(rng_) % 40);
  auto* m = s_.mutable_metrics();
  m->set_http_requests_total(m->http_requests_total() + 40 + age(rng_) % 20);
  m->set_http_5xx_ratio(0);
  m->set_http_p99_seconds(0.004 + ratio(rng_) / 100);
  m->set_http_active_connections(3);
  (*m->mutable_series())["guts_consensus_view"] = static_cast<double>(c->view());
  s_.mutable_log()->set_lines_read(s_.log().lines_read() + 3);
  s_.mutable_log()->set_finalized_height(c->finalized_height());
  return s_;
}

}  // namespace guts::bench
