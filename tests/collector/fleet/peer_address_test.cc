#include "collector/fleet/peer_address.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

TEST(PeerAddressTest, CanonicalIpv4AddressesHaveKeysThatSeparateEveryPart) {
  std::optional<uint64_t> a = AddressKey("10.0.3.7:9000");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(AddressKey("10.0.3.7:9000"), a);
  EXPECT_NE(AddressKey("10.0.3.7:9001"), a);
  EXPECT_NE(AddressKey("10.0.3.8:9000"), a);
  EXPECT_NE(AddressKey("10.0.3.7"), a);
  EXPECT_NE(AddressKey("10.0.3.7:0"), AddressKey("10.0.3.7"));
  EXPECT_TRUE(AddressKey("255.255.255.255:65535").has_value());
  EXPECT_TRUE(AddressKey("0.0.0.0").has_value());
  EXPECT_EQ(KeyHost(*a), HostKey("10.0.3.7"));
  EXPECT_EQ(KeyHost(*AddressKey("10.0.3.7")), HostKey("10.0.3.7"));
}

TEST(PeerAddressTest, AnythingButCanonicalIpv4HasNoKey) {
  for (const char* text :
       {"", "010.0.3.7:9000", "10.0.3.7:09000", "10.0.3.7:", "10.0.3:9000", "10.0.3.7.1:9000",
        "256.0.0.1:9000", "10.0.3.7:65536", "[::1]:9000", "::1", "node-4:9000", "10.0.3.7:9000:1",
        " 10.0.3.7:9000", "10.0.3.7:9000 ", "10.0.3.7:+900", "1000.0.0.1:9000"}) {
    EXPECT_FALSE(AddressKey(text).has_value()) << text;
  }
  EXPECT_FALSE(HostKey("10.0.3.7:9000").has_value());
  EXPECT_FALSE(HostKey("10.00.3.7").has_value());
  EXPECT_FALSE(HostKey("localhost").has_value());
}

TEST(PeerAddressTest, CompactPeersKeepPeerOrderAndOnlyReachableProbes) {
  v1::Snapshot s;
  s.set_seq(42);
  v1::PeerView* out = s.add_peers();
  out->set_direction(v1::PEER_DIRECTION_OUTBOUND);
  out->set_remote_addr("10.0.0.2:9000");
  out->set_last_data_recv_age_ms(150);
  v1::PeerView* in = s.add_peers();
  in->set_direction(v1::PEER_DIRECTION_INBOUND);
  in->set_remote_addr("10.0.0.3:51234");
  in->set_last_data_recv_age_ms(70000);
  v1::ProbeResult* up = s.add_probes();
  up->set_addr("10.0.0.2:9000");
  up->set_reachable(true);
  v1::ProbeResult* down = s.add_probes();
  down->set_addr("10.0.0.4:9000");
  down->set_reachable(false);

  CompactPeers c = CompactPeersOf(s);
  ASSERT_TRUE(c.valid);
  EXPECT_EQ(c.seq, 42u);
  ASSERT_EQ(c.sessions.size(), 2u);
  EXPECT_EQ(c.sessions[0].remote, *AddressKey("10.0.0.2:9000"));
  EXPECT_FALSE(c.sessions[0].inbound);
  EXPECT_EQ(c.sessions[0].last_data_recv_age_ms, 150u);
  EXPECT_EQ(c.sessions[1].remote, *AddressKey("10.0.0.3:51234"));
  EXPECT_TRUE(c.sessions[1].inbound);
  EXPECT_EQ(c.reachable, std::vector<uint64_t>{*AddressKey("10.0.0.2:9000")});
}

TEST(PeerAddressTest, ReachableHashFollowsEveryKeyAndTheirOrder) {
  const uint64_t a = *AddressKey("10.0.0.2:9000");
  const uint64_t b = *AddressKey("10.0.0.3:9000");
  const uint64_t c = *AddressKey("10.0.0.3:9001");
  EXPECT_EQ(ReachableHash({a, b}), ReachableHash({a, b}));
  EXPECT_NE(ReachableHash({a, b}), ReachableHash({b, a}));
  EXPECT_NE(ReachableHash({a, b}), ReachableHash({a, c}));
  EXPECT_NE(ReachableHash({a, b}), ReachableHash({a, b, b}));
  EXPECT_NE(ReachableHash({a}), ReachableHash({}));
  EXPECT_NE(ReachableHash({0}), ReachableHash({}));

  v1::Snapshot s;
  for (const char* addr : {"10.0.0.2:9000", "10.0.0.3:9000"}) {
    v1::ProbeResult* probe = s.add_probes();
    probe->set_addr(addr);
    probe->set_reachable(true);
  }
  EXPECT_EQ(CompactPeersOf(s).reachable_hash, ReachableHash({a, b}));
  s.mutable_probes(1)->set_reachable(false);
  EXPECT_EQ(CompactPeersOf(s).reachable_hash, ReachableHash({a}));
}

// The analysis keeps a node's resolved sessions while their count and SessionsHash stay: a
// session's address, its direction, or the order changing must change the hash.
TEST(PeerAddressTest, SessionsHashSeesAddressDirectionAndOrder) {
  const uint64_t a = *AddressKey("10.0.0.2:9000");
  const uint64_t b = *AddressKey("10.0.0.3:9000");
  const PeerSession out_a{.remote = a, .last_data_recv_age_ms = 5, .inbound = false};
  const PeerSession out_b{.remote = b, .last_data_recv_age_ms = 5, .inbound = false};
  PeerSession in_b = out_b;
  in_b.inbound = true;
  PeerSession aged_b = out_b;
  aged_b.last_data_recv_age_ms = 90000;  // ages are read anew each tick: not hashed
  EXPECT_EQ(SessionsHash({out_a, out_b}), SessionsHash({out_a, aged_b}));
  EXPECT_NE(SessionsHash({out_a, out_b}), SessionsHash({out_b, out_a}));
  EXPECT_NE(SessionsHash({out_a, out_b}), SessionsHash({out_a, in_b}));
  EXPECT_NE(SessionsHash({out_a, out_b}), SessionsHash({out_a, out_a}));
  EXPECT_NE(SessionsHash({out_a}), SessionsHash({}));

  v1::Snapshot s;
  s.add_peers()->set_remote_addr("10.0.0.2:9000");
  s.add_peers()->set_remote_addr("10.0.0.3:9000");
  EXPECT_EQ(CompactPeersOf(s).sessions_hash, SessionsHash({out_a, out_b}));
}

TEST(PeerAddressTest, OneIpv6PeerLeavesTheSnapshotToTheAnalysis) {
  v1::Snapshot s;
  s.add_peers()->set_remote_addr("10.0.0.2:9000");
  s.add_peers()->set_remote_addr("[fd00::3]:9000");
  EXPECT_FALSE(CompactPeersOf(s).valid);
  v1::Snapshot named;
  v1::ProbeResult* probe = named.add_probes();
  probe->set_addr("validator-3.example:9000");
  probe->set_reachable(true);
  EXPECT_FALSE(CompactPeersOf(named).valid);
}

}  // namespace
}  // namespace guts::collector
