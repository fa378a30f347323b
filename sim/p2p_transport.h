// One simulated node's P2P sockets: a listener on <ip>:<p2p port> that receives on inbound
// connections, and one outbound connection per peer (from <ip>, so peers see the node's own
// address) on which this node sends and never receives. Because each direction of a pair
// has its own TCP connection, a one-way fault is real: when A stops writing to B, the kernel's
// last-receive age of A's session on B's side grows while B -> A traffic still flows.
//
// Outbound connections redial (every `redial` interval) while the peer is unreachable.
// Messages sent while a connection is down, or that would exceed the queue bound while the
// kernel's send buffer is full (a link cut by netfilter), are lost, as on a real network.
//
// Example:
//   PeerLinks links(io, /*me=*/0, [](const WireMessage& m) { ... });
//   absl::Status s = links.Listen("127.0.0.11", 9000);
//   links.Dial({{1, peer_endpoint}}, absl::Seconds(1));
//   links.Send(1, msg);
//   links.Close();  // The node is killed.
//
// Thread-compatible: every call and callback runs on the loop's thread.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sim/wire_message.h"

namespace guts::sim {

class PeerLinks {
 public:
  using Receive = std::function<void(const WireMessage&)>;

  PeerLinks(asio::io_context& io, uint32_t me, Receive receive);
  ~PeerLinks();  // Close().
  PeerLinks(const PeerLinks&) = delete;
  PeerLinks& operator=(const PeerLinks&) = delete;

  // Binds the P2P listener. UNAVAILABLE when the address cannot be bound.
  absl::Status Listen(const std::string& ip, int port);
  int port() const { return port_; }

  // Opens (and keeps redialling) one outbound connection per peer, from the listen address.
  void Dial(const std::map<uint32_t, asio::ip::tcp::endpoint>& peers, absl::Duration redial);

  // Queues `m` on the outbound connection to `peer`; lost when that connection is down.
  void Send(uint32_t peer, const WireMessage& m);

  // Closes and reopens the outbound connection to `peer` (a stack that gives up on a session
  // whose data stays unacknowledged and redials).
  void Redial(uint32_t peer);

  // The authenticated handshake refuses `peer` (whose address is `ip`): its inbound sessions
  // close as soon as they open, and this node does not dial it. `refused` false lifts that.
  // Kept across Close() (it is the node's configuration, not a session's state).
  void Refuse(uint32_t peer, const std::string& ip, bool refused);

  // Outbound connections currently established.
  int established() const;

  // Closes the listener and every connection, and stops redialling. Idempotent.
  void Close();

 private:
  struct Outbound;
  struct Inbound;
  void Accept();
  void StartDial(const std::shared_ptr<Outbound>& out);
  // Closes the connection and drops what was queued on it; a pending dial or redial is void.
  void CloseOutbound(Outbound& out);
  void ScheduleRedial(const std::shared_ptr<Outbound>& out);
  void WatchOutbound(const std::shared_ptr<Outbound>& out);
  void Flush(const std::shared_ptr<Outbound>& out);
  void ReadInbound(const std::shared_ptr<Inbound>& in);

  asio::io_context& io_;
  uint32_t me_;
  Receive receive_;
  std::string ip_;
  int port_ = 0;
  absl::Duration redial_ = absl::Seconds(1);
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::map<uint32_t, std::shared_ptr<Outbound>> outbound_;
  std::vector<std::weak_ptr<Inbound>> inbound_;
  std::map<uint32_t, std::string> refused_;  // peer -> its IP
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace guts::sim
