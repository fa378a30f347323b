// The `p2p_sockets` source: the node's P2P TCP sessions from sock_diag, with tcp_info's
// last-data-received/sent ages, rtt and retransmits, so the collector can tell "connected but
// silent" from "talking". A session belongs to the node when
//   - inbound: its local side is the node's P2P ip:port, or
//   - outbound: its local ip is the node's and its remote side is a known validator's P2P
//     address (or, before the validator list is known, the node's own P2P port).
// Only sessions that can carry data are listed (see ListTcpSessions); closing ones are not.
//
// Errors: the netlink error, or INVALID_ARGUMENT for a P2P address that is not ip:port.
//
// Example:
//   P2pSocketsSource sockets("127.0.0.11:9000", validators);
#pragma once

#include <memory>
#include <string>

#include "agent/known_validators.h"
#include "agent/source.h"

namespace guts::agent {

class P2pSocketsSource : public Source {
 public:
  P2pSocketsSource(std::string node_p2p_addr, std::shared_ptr<KnownValidators> validators);

  std::string_view name() const override { return "p2p_sockets"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

 private:
  std::string node_p2p_addr_;
  std::shared_ptr<KnownValidators> validators_;
};

}  // namespace guts::agent
