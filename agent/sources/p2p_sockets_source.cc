#include "agent/sources/p2p_sockets_source.h"

#include <set>

#include "agent/sources/registry.h"
#include "common/host_port.h"
#include "common/sock_diag.h"

namespace guts::agent {
namespace {

constexpr size_t kMaxFilterPorts = 32;

}  // namespace

P2pSocketsSource::P2pSocketsSource(std::string node_p2p_addr,
                                   std::shared_ptr<KnownValidators> validators)
    : node_p2p_addr_(std::move(node_p2p_addr)), validators_(std::move(validators)) {}

absl::Status P2pSocketsSource::Collect(absl::Time, v1::Snapshot& part) {
  absl::StatusOr<HostPort> own = ParseHostPort(node_p2p_addr_);
  if (!own.ok()) return own.status();
  std::set<std::string> peer_addrs;
  std::set<uint16_t> peer_ports = {own->port};
  for (const KnownValidator& v : validators_->Get()) {
    absl::StatusOr<HostPort> addr = ParseHostPort(v.addr);
    if (!addr.ok()) continue;
    peer_addrs.insert(FormatHostPort(addr->host, addr->port));
    peer_ports.insert(addr->port);
  }
  // Every P2P session of the node has the node's address on its local side. A wildcard bind
  // address cannot be filtered on.
  bool wildcard = own->host == "0.0.0.0" || own->host == "::";
  TcpSessionFilter filter{.local_ip = wildcard ? "" : own->host, .local_ports = {own->port}};
  // Validators on many distinct ports: let the kernel list everything rather than run a long
  // filter program; the address match below decides either way.
  if (peer_ports.size() <= kMaxFilterPorts) {
    filter.remote_ports.assign(peer_ports.begin(), peer_ports.end());
  } else {
    filter.local_ports.clear();
  }
  std::set<std::string> peer_hosts;
  for (const std::string& addr : peer_addrs) {
    if (addr == node_p2p_addr_) continue;
    if (absl::StatusOr<HostPort> hp = ParseHostPort(addr); hp.ok()) peer_hosts.insert(hp->host);
  }
  absl::StatusOr<std::vector<TcpSession>> sessions = Sessions(peer_addrs, peer_hosts, filter);
  if (!sessions.ok()) return sessions.status();
  std::vector<TcpSession> kept;
  for (TcpSession& s : *sessions) {
    v1::PeerDirection direction = v1::PEER_DIRECTION_UNSPECIFIED;
    std::string remote = FormatHostPort(s.remote_ip, s.remote_port);
    bool local_is_node = wildcard || s.local_ip == own->host;
    if (local_is_node && s.local_port == own->port) {
      direction = v1::PEER_DIRECTION_INBOUND;
    } else if (local_is_node && remote != node_p2p_addr_ &&
               (peer_addrs.empty() ? s.remote_port == own->port : peer_addrs.contains(remote))) {
      direction = v1::PEER_DIRECTION_OUTBOUND;
    } else {
      continue;
    }
    if (direction == v1::PEER_DIRECTION_OUTBOUND) validators_->RememberPeer(remote);
    v1::PeerView* peer = part.add_peers();
    peer->set_remote_addr(remote);
    peer->set_local_addr(FormatHostPort(s.local_ip, s.local_port));
    peer->set_direction(direction);
    peer->set_last_data_recv_age_ms(s.last_data_recv_ms);
    peer->set_last_data_sent_age_ms(s.last_data_sent_ms);
    peer->set_rtt_us(s.rtt_us);
    peer->set_total_retransmits(s.total_retrans);
    peer->set_bytes_received(s.bytes_received);
    peer->set_bytes_acked(s.bytes_acked);
    peer->set_tcp_state(s.state);
    peer->set_send_queue_bytes(s.send_queue_bytes);
    kept.push_back(std::move(s));
  }
  last_ = std::move(kept);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TcpSession>> P2pSocketsSource::Sessions(
    const std::set<std::string>& peer_addrs, const std::set<std::string>& peer_hosts,
    const TcpSessionFilter& filter) {
  const absl::Time now = absl::Now();
  const int64_t since_last_ms = absl::ToInt64Milliseconds(now - last_collect_);
  last_collect_ = now;
  // Every other validator has a session (by remote IP): a new one can only be an extra.
  std::set<std::string> heard;
  for (const TcpSession& s : last_) heard.insert(s.remote_ip);
  bool complete = !peer_hosts.empty();
  for (const std::string& host : peer_hosts) complete = complete && heard.contains(host);
  ++snapshots_since_listing_;
  if (complete && peer_addrs == last_peer_addrs_ && snapshots_since_listing_ < kFullListingEvery &&
      last_.size() <= kMaxTcpSessionLookups) {
    absl::StatusOr<std::vector<TcpSession>> found = LookUpTcpSessions(last_);
    // Steady: every session still there and ESTABLISHED, and every other validator heard from
    // on one of them since the last snapshot. One its peer closed (CLOSE_WAIT, as when the
    // peer's node restarts) has a successor the lookup cannot see; a validator heard on none
    // may have moved its traffic to a new session (a restarted node's peers dial it again
    // while its own dials are up already). A session that only sends (the node's own dial
    // while the peer talks on the peer's dial, as guts-sim's nodes do) is not a reason.
    bool steady = found.ok() && found->size() == last_.size();
    std::set<std::string> received;
    for (size_t i = 0; steady && i < found->size(); ++i) {
      const TcpSession& s = (*found)[i];
      steady = s.state == "ESTABLISHED";
      if (s.last_data_recv_ms <= static_cast<uint64_t>(since_last_ms)) received.insert(s.remote_ip);
    }
    for (const std::string& host : peer_hosts) steady = steady && received.contains(host);
    if (steady) return found;
  }
  absl::StatusOr<std::vector<TcpSession>> listed = ListTcpSessions(filter);
  if (listed.ok()) {
    snapshots_since_listing_ = 0;
    last_peer_addrs_ = peer_addrs;
  }
  return listed;
}

GUTS_REGISTER_SOURCE(p2p_sockets, 60, [](const SourceContext& context) -> std::unique_ptr<Source> {
  return std::make_unique<P2pSocketsSource>(context.config.node_p2p_addr, context.validators);
});

}  // namespace guts::agent
