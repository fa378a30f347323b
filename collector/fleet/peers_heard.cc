#include "collector/fleet/peers_heard.h"

#include <set>
#include <string_view>

#include "common/host_port.h"

namespace guts::collector {

int64_t HeardWithinMs(absl::Duration peer_heard_within) {
  return absl::ToInt64Milliseconds(absl::Floor(peer_heard_within, absl::Milliseconds(1)));
}

uint32_t PeersHeard(const guts::diag::v1::Snapshot& snapshot, absl::Duration peer_heard_within) {
  const int64_t within_ms = HeardWithinMs(peer_heard_within);
  std::set<std::string_view> hosts;
  for (const auto& peer : snapshot.peers()) {
    if (static_cast<int64_t>(peer.last_data_recv_age_ms()) <= within_ms) {
      hosts.insert(HostOf(peer.remote_addr()));
    }
  }
  return static_cast<uint32_t>(hosts.size());
}

}  // namespace guts::collector
