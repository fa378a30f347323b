// One simulated validator: its log file, config.yaml, HTTP API, P2P sockets and consensus
// replica, and the process-level faults that act on it (kill/restart, pause/resume, config
// fallback, the consensus thread dying, peers missing from its allowed_peers).
//
// In Simplex mode it writes the real node's Simplex lines: the startup sequence (`Starting
// Simplex BFT consensus`, `P2P network started`, `created Simplex BFT consensus engine`, ...),
// `proposed new block` {round, digest, success} when it leads a view and `processed finalized
// block` {height, digest} for every block; in simulation mode `finalized block` {height,
// block_id, view}.
//
// Example:
//   SimNode node(io, options, &validators, &overlay, identity, can_send);
//   absl::Status s = node.Start(peer_endpoints);
//   node.Tick(absl::Now());  // From the network's tick.
//   node.Kill();
//   s = node.Restart();
//
// Thread-compatible: owned by the network, driven from the event loop's thread.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sim/consensus_model.h"
#include "sim/http_listener.h"
#include "sim/http_metrics.h"
#include "sim/node_log.h"
#include "sim/overlay.h"
#include "sim/p2p_transport.h"
#include "sim/sim_options.h"
#include "sim/validator_set.h"

namespace guts::sim {

struct NodeIdentity {
  uint32_t index = 0;  // 0-based; the name is v<index + 1>.
  std::string name;
  std::string ip;
  std::string dir;          // <state-dir>/vI
  std::string log_path;     // <dir>/node.log
  std::string data_dir;     // <dir>/data
  std::string config_path;  // <dir>/config.yaml
};

class SimNode {
 public:
  // Whether this node's messages to `to` may leave (in-process link faults).
  using LinkOpen = std::function<bool(uint32_t from, uint32_t to)>;

  // `overlay` says which peers this node dials and how it relays (light mode).
  SimNode(asio::io_context& io, const SimOptions& options, const ValidatorSet* validators,
          const Overlay* overlay, NodeIdentity identity, LinkOpen link_open);

  // Creates the directories, opens the log, binds the API and P2P listeners and dials the
  // peers. UNAVAILABLE when an address cannot be bound; INTERNAL on file errors.
  // `validator_addrs` lists every validator's P2P "ip:port" (for /api/consensus/validators);
  // `peers` are the ones this node dials (all others, or its ring neighbours in light mode).
  absl::Status Start(const std::map<uint32_t, asio::ip::tcp::endpoint>& peers,
                     std::vector<std::string> validator_addrs);
  // Called by the network often: heartbeats, consensus timers, startup completion.
  void Tick(absl::Time now);

  // Process-level faults. Kill closes every socket at once (SIGKILL: nothing logged).
  void Kill();
  // A fresh process: new uptime, startup log lines, same data dir (the chain persists).
  // `config_fallback` makes it print the config-load warning first and run on defaults.
  absl::Status Restart(bool config_fallback);
  void Pause();
  void Resume();
  // The clean end of the process: logs "Guts node stopped" and closes everything.
  void Stop();
  // The consensus thread dies (`Consensus engine task failed`): its P2P sessions close, the
  // replica stops, the process and its API keep running. A restart brings it back.
  void FailEngine();
  // `peer` (at `ip`) leaves (refused) or rejoins this node's p2p.allowed_peers: config.yaml is
  // rewritten and the authenticated P2P layer refuses that peer both ways.
  absl::Status RefusePeer(uint32_t peer, const std::string& ip, bool refused);

  Replica& replica() { return replica_; }
  const NodeIdentity& identity() const { return id_; }
  PeerLinks* links() { return links_.get(); }
  bool running() const { return running_; }
  bool paused() const { return paused_; }
  bool config_fallback() const { return config_fallback_; }
  bool engine_failed() const { return engine_failed_; }
  const std::set<uint32_t>& refused_peers() const { return refused_; }
  int api_port() const { return api_ ? api_->port() : 0; }
  int p2p_port() const { return links_ ? links_->port() : 0; }
  NodeLog& log() { return log_; }

 private:
  absl::Status Launch();
  // To `to` directly, or (light mode) through the overlay's next hop towards it.
  void Send(uint32_t to, const WireMessage& m);
  // A message from a peer: for this node's replica, or relayed on towards its destination.
  void Receive(const WireMessage& m);
  void OnFinalized(const BlockHeader& b);
  void OnConflict(uint64_t height, const BlockHeader& theirs);
  void OnProposed(uint64_t view, const BlockHeader& b, bool success);
  absl::Status WriteConfig() const;
  void LogSimplexStartup(const std::string& p2p_addr);
  HttpReply Serve(const HttpRequest& request);

  asio::io_context& io_;
  const SimOptions& options_;
  const ValidatorSet* validators_;
  const Overlay* overlay_;
  NodeIdentity id_;
  LinkOpen link_open_;
  std::map<uint32_t, asio::ip::tcp::endpoint> peers_;
  std::vector<std::string> validator_addrs_;

  NodeLog log_;
  HttpMetrics metrics_;
  std::unique_ptr<HttpListener> api_;
  std::unique_ptr<PeerLinks> links_;
  Replica replica_;

  bool running_ = false;
  bool paused_ = false;
  bool started_ = false;  // Startup complete (ready).
  bool config_fallback_ = false;
  bool engine_failed_ = false;
  std::set<uint32_t> refused_;
  std::map<uint32_t, std::string> refused_ips_;
  absl::Time launched_at_;
  absl::Time last_block_at_;
  absl::Time next_heartbeat_;
};

}  // namespace guts::sim
