#include "collector/fleet/peers_heard.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

void AddPeer(v1::Snapshot& s, const char* addr, uint32_t age_ms) {
  v1::PeerView* peer = s.add_peers();
  peer->set_remote_addr(addr);
  peer->set_last_data_recv_age_ms(age_ms);
}

TEST(PeersHeardTest, AgesUpToTheWindowCountInWholeMilliseconds) {
  EXPECT_EQ(HeardWithinMs(absl::Seconds(5)), 5000);
  EXPECT_EQ(HeardWithinMs(absl::Microseconds(2500)), 2);  // 2 ms heard, 3 ms not
  v1::Snapshot s;
  AddPeer(s, "10.0.0.2:9000", 5000);
  AddPeer(s, "10.0.0.3:9000", 5001);
  EXPECT_EQ(PeersHeard(s, absl::Seconds(5)), 1u);
  EXPECT_EQ(PeersHeard(s, absl::Milliseconds(5001)), 2u);
  EXPECT_EQ(PeersHeard(s, absl::Milliseconds(4999)), 0u);
}

TEST(PeersHeardTest, APeerIsItsHostWhateverThePortOrIpv6Brackets) {
  v1::Snapshot s;
  AddPeer(s, "10.0.0.2:9000", 10);   // outbound
  AddPeer(s, "10.0.0.2:40001", 10);  // inbound, ephemeral port: the same peer
  AddPeer(s, "[fd00::3]:9000", 10);
  AddPeer(s, "[fd00::3]:40002", 10);
  AddPeer(s, "[fd00::4]:9000", 10);
  EXPECT_EQ(PeersHeard(s, absl::Seconds(5)), 3u);
}

}  // namespace
}  // namespace guts::collector
