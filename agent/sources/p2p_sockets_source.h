// The `p2p_sockets` source: the node's P2P TCP sessions from sock_diag, with tcp_info's
// last-data-received/sent ages, rtt and retransmits, so the collector can tell "connected but
// silent" from "talking". A session belongs to the node when
//   - inbound: its local side is the node's P2P ip:port, or
//   - outbound: its local ip is the node's and its remote side is a known validator's P2P
//     address (or, before the validator list is known, the node's own P2P port).
// Only sessions that can carry data are listed (see ListTcpSessions); closing ones are not.
//
// Cost: listing walks the kernel's whole TCP table, about a millisecond of CPU, the agent's
// largest cost at one snapshot a second. So while every other validator already has a session
// with the node (matched by the remote IP) and the last listing is fewer than
// kFullListingEvery snapshots old, the sessions of the last snapshot are looked up by their
// four-tuples instead (LookUpTcpSessions, fresh tcp_info, a hash lookup each). Any session gone
// or no longer ESTABLISHED, a validator without one or heard from on none of them since the last
// snapshot, a changed validator list or a failed lookup lists the table again in the same
// snapshot; an extra session while every validator has one (a second session to the same
// validator, a peer outside the validator list) shows at the next listing, within
// kFullListingEvery snapshots.
//
// Errors: the netlink error, or INVALID_ARGUMENT for a P2P address that is not ip:port.
//
// Example:
//   P2pSocketsSource sockets("127.0.0.11:9000", validators);
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/known_validators.h"
#include "agent/source.h"
#include "common/sock_diag.h"

namespace guts::agent {

class P2pSocketsSource : public Source {
 public:
  // Snapshots, not seconds: a compressed-time fleet sees a new session as soon, in snapshots,
  // as a real one.
  static constexpr int kFullListingEvery = 10;

  P2pSocketsSource(std::string node_p2p_addr, std::shared_ptr<KnownValidators> validators);

  std::string_view name() const override { return "p2p_sockets"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

 private:
  // The node's sessions by the rules above, looked up or listed (see Cost above).
  absl::StatusOr<std::vector<TcpSession>> Sessions(const std::set<std::string>& peer_addrs,
                                                   const std::set<std::string>& peer_hosts,
                                                   const TcpSessionFilter& filter);

  std::string node_p2p_addr_;
  std::shared_ptr<KnownValidators> validators_;
  // The node's sessions in the last snapshot, and what they were found with.
  std::vector<TcpSession> last_;
  std::set<std::string> last_peer_addrs_;
  // Counting this one: a listing in snapshot n, lookups in n+1 .. n+9, a listing in n+10.
  int snapshots_since_listing_ = kFullListingEvery;  // the first snapshot lists
  absl::Time last_collect_ = absl::InfinitePast();
};

}  // namespace guts::agent
