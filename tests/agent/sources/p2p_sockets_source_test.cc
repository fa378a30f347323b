#include "agent/sources/p2p_sockets_source.h"

#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/socket_pair.h"

namespace guts::agent {
namespace {

const v1::PeerView* Find(const v1::Snapshot& part, v1::PeerDirection direction) {
  for (const v1::PeerView& peer : part.peers()) {
    if (peer.direction() == direction) return &peer;
  }
  return nullptr;
}

// The "node" is 127.0.91.1; a peer 127.0.91.2 connects in, and the node connects out to a
// validator listening on 127.0.91.3.
TEST(P2pSocketsSourceTest, SeesInboundAndOutboundSessionsAndLastHeardGrowsWhenSilent) {
  uint16_t node_port = 0, validator_port = 0, other_port = 0;
  int node_listener = testing::Listen("127.0.91.1", node_port);
  int validator_listener = testing::Listen("127.0.91.3", validator_port);
  int other_listener = testing::Listen("127.0.91.4", other_port);  // not a validator
  std::string node_addr = absl::StrCat("127.0.91.1:", node_port);

  int inbound_client = testing::Connect("127.0.91.2", "127.0.91.1", node_port);
  int inbound = accept(node_listener, nullptr, nullptr);
  int outbound = testing::Connect("127.0.91.1", "127.0.91.3", validator_port);
  int outbound_peer = accept(validator_listener, nullptr, nullptr);
  int unrelated = testing::Connect("127.0.91.1", "127.0.91.4", other_port);
  int unrelated_peer = accept(other_listener, nullptr, nullptr);
  ASSERT_EQ(write(inbound_client, "hello", 5), 5);  // then the peer goes silent
  char buffer[8];
  ASSERT_EQ(read(inbound, buffer, sizeof(buffer)), 5);

  auto validators = std::make_shared<KnownValidators>();
  validators->Set({{"v1", node_addr}, {"v3", absl::StrCat("127.0.91.3:", validator_port)}});
  P2pSocketsSource source(node_addr, validators);

  v1::Snapshot first;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(1), first);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(first.peers_size(), 2) << first.DebugString();
  const v1::PeerView* in = Find(first, v1::PEER_DIRECTION_INBOUND);
  ASSERT_NE(in, nullptr);
  EXPECT_TRUE(in->remote_addr().starts_with("127.0.91.2:"));
  EXPECT_EQ(in->local_addr(), node_addr);
  EXPECT_EQ(in->tcp_state(), "ESTABLISHED");
  EXPECT_EQ(in->bytes_received(), 5u);
  const v1::PeerView* out = Find(first, v1::PEER_DIRECTION_OUTBOUND);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->remote_addr(), absl::StrCat("127.0.91.3:", validator_port));

  absl::SleepFor(absl::Milliseconds(400));
  v1::Snapshot second;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), second).ok());
  const v1::PeerView* in_later = Find(second, v1::PEER_DIRECTION_INBOUND);
  ASSERT_NE(in_later, nullptr);
  EXPECT_GE(in_later->last_data_recv_age_ms(), in->last_data_recv_age_ms() + 300);

  for (int fd : {inbound_client, inbound, outbound, outbound_peer, unrelated, unrelated_peer,
                 node_listener, validator_listener, other_listener}) {
    close(fd);
  }
}

// While a validator has no session every snapshot lists the kernel's table, so its new session
// shows at once; once every validator has one, a session that closes is gone at once too.
TEST(P2pSocketsSourceTest, NewSessionOfAValidatorWithoutOneAndAClosedSessionShowAtOnce) {
  uint16_t node_port = 0, v3_port = 0, v5_port = 0;
  int node_listener = testing::Listen("127.0.91.11", node_port);
  int v3_listener = testing::Listen("127.0.91.13", v3_port);
  int v5_listener = testing::Listen("127.0.91.15", v5_port);
  std::string node_addr = absl::StrCat("127.0.91.11:", node_port);
  auto validators = std::make_shared<KnownValidators>();
  validators->Set({{"v1", node_addr},
                   {"v3", absl::StrCat("127.0.91.13:", v3_port)},
                   {"v5", absl::StrCat("127.0.91.15:", v5_port)}});
  P2pSocketsSource source(node_addr, validators);
  auto peers = [&] {
    v1::Snapshot part;
    absl::Status s = source.Collect(absl::Now() + absl::Seconds(1), part);
    EXPECT_TRUE(s.ok()) << s;
    return part.peers_size();
  };

  int to_v3 = testing::Connect("127.0.91.11", "127.0.91.13", v3_port);
  int v3_end = accept(v3_listener, nullptr, nullptr);
  EXPECT_EQ(peers(), 1);
  int to_v5 = testing::Connect("127.0.91.11", "127.0.91.15", v5_port);
  int v5_end = accept(v5_listener, nullptr, nullptr);
  EXPECT_EQ(peers(), 2);  // v5 had none: listed
  EXPECT_EQ(peers(), 2);  // both have one: looked up
  int from_v5 = testing::Connect("127.0.91.15", "127.0.91.11", node_port);
  int from_v5_end = accept(node_listener, nullptr, nullptr);
  close(to_v5);
  close(v5_end);
  // v5's outbound session went (looked up: gone), so the table is listed again, and v5's new
  // inbound one is there in the same snapshot.
  v1::Snapshot part;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), part).ok());
  ASSERT_EQ(part.peers_size(), 2) << part.DebugString();
  EXPECT_TRUE(Find(part, v1::PEER_DIRECTION_INBOUND) != nullptr);
  EXPECT_EQ(Find(part, v1::PEER_DIRECTION_OUTBOUND)->remote_addr(),
            absl::StrCat("127.0.91.13:", v3_port));

  for (int fd : {to_v3, v3_end, from_v5, from_v5_end, node_listener, v3_listener, v5_listener}) {
    close(fd);
  }
}

TEST(P2pSocketsSourceTest, BadP2pAddressIsAnError) {
  P2pSocketsSource source("not-an-address", std::make_shared<KnownValidators>());
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(1), part);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not-an-address"), std::string::npos);
}

}  // namespace
}  // namespace guts::agent
