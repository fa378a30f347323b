// The simulated network: N nodes on consecutive loopback addresses (base-ip + i), the link
// state between them (cut directions), and the event-loop tick that drives every node.
//
// Link cuts are in-process (the sender stops writing on its outbound connection) or, with
// --netfilter, nftables rules in the private network namespace the sim runs in.
//
// Example:
//   Network net(io, options);
//   absl::Status s = net.Start();   // Binds every node; the tick starts.
//   net.SetCut(2, 4, true);         // v3 -> v5 lost.
//   s = net.CommitLinks();
//   net.Stop();
//
// Thread-compatible: everything runs on the event loop's thread.
#pragma once

#include <asio.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/netfilter.h"
#include "sim/overlay.h"
#include "sim/sim_node.h"
#include "sim/sim_options.h"
#include "sim/validator_set.h"

namespace guts::sim {

class Network {
 public:
  Network(asio::io_context& io, SimOptions options);
  ~Network();

  // Creates every node (directories, logs, listeners), dials the peers and starts the tick.
  // INVALID_ARGUMENT for bad options; UNAVAILABLE when an address cannot be bound.
  absl::Status Start();
  // Stops every node cleanly ("Guts node stopped"), removes netfilter rules and tmpfs mounts.
  void Stop();

  int size() const { return static_cast<int>(nodes_.size()); }
  // Whether node i lives in this process (see SimOptions::shard).
  bool local(int i) const { return nodes_[i] != nullptr; }
  // REQUIRES: local(i).
  SimNode& node(int i) { return *nodes_[i]; }
  const SimOptions& options() const { return options_; }
  const ValidatorSet& validators() const { return validators_; }
  // Node i's address (base-ip + i + 1), whichever process hosts it.
  std::string PeerIp(int i) const;

  // Link state. SetCut only records; CommitLinks applies (nft rules in --netfilter mode).
  bool Cut(int from, int to) const { return cut_[from * size() + to]; }
  void SetCut(int from, int to, bool cut);
  void ClearCuts();
  absl::Status CommitLinks();

  // Fork bookkeeping, for the heal: node i rolls back below the block it forged at `height`.
  void RecordFork(int i, uint64_t height);
  void HealForks();

  // Data dirs filled by the `disk` fault, freed by the heal.
  std::vector<int>& filled_disks() { return filled_disks_; }

  // {"control": ..., "nodes": [{name, api, p2p, log, data_dir, config, public_key}...]}.
  nlohmann::json ReadyJson(const std::string& control_addr) const;
  // The state of this process's nodes and the cut links.
  nlohmann::json StatusJson();

 private:
  void Tick();
  std::string IpOf(int i) const;

  asio::io_context& io_;
  SimOptions options_;
  ValidatorSet validators_;
  Overlay overlay_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<bool> cut_;
  std::vector<bool> committed_cut_;
  std::unique_ptr<NftLinkCuts> nft_;
  std::vector<std::pair<int, uint64_t>> forks_;
  std::vector<int> filled_disks_;
  std::vector<std::string> mounted_;
  asio::steady_timer tick_;
  bool stopped_ = false;
};

}  // namespace guts::sim
