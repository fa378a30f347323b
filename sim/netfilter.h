// Link cuts as nftables rules, for --netfilter: the kernel itself drops a cut direction's
// packets, so the sim's own code keeps sending as a real node would.
//
// Safety: the rules live in one table ("inet guts_sim") and are only ever applied inside a
// private network namespace. Open() refuses to run in a namespace that has any interface
// besides loopback (the host's), so a mistaken flag can never touch the host's rules.
//
// Example:
//   absl::StatusOr<NftLinkCuts> nft = NftLinkCuts::Open(9000);
//   absl::Status s = nft->Apply({{"127.0.0.13", "127.0.0.15"}});  // Drop v3 -> v5.
//   nft->Clear();
//
// Thread-compatible. Apply runs `nft -f -` synchronously.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace guts::sim {

class NftLinkCuts {
 public:
  // FAILED_PRECONDITION in the host's network namespace, when not root, or when nft is missing.
  static absl::StatusOr<NftLinkCuts> Open(int p2p_port);

  // Replaces the rule set: packets from `first` to `second`'s P2P port are dropped, for every
  // pair. INTERNAL when nft fails (its stderr in the message).
  absl::Status Apply(const std::vector<std::pair<std::string, std::string>>& cuts);
  // Removes the table.
  absl::Status Clear();

  // The script Apply feeds to nft (exposed for tests).
  static std::string Script(int p2p_port,
                            const std::vector<std::pair<std::string, std::string>>& cuts);

 private:
  explicit NftLinkCuts(int p2p_port) : p2p_port_(p2p_port) {}
  int p2p_port_;
};

// True unless this process's network namespace holds only the loopback interface.
bool InHostNetworkNamespace();

}  // namespace guts::sim
