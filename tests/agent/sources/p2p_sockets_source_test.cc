#include "agent/sources/p2p_sockets_source.h"

#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

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

// The rules that decide between looking the last snapshot's sessions up (a hash lookup each)
// and listing the kernel's whole TCP table (the only way to find a new session). The node has
// one other validator, whose session with the node carries a view before each snapshot, as on a
// healthy network; a peer outside the validator list (the "stranger") connects after the first
// snapshot. While every validator has a session the stranger's shows only when the table is
// listed, so whether a snapshot listed is seen from outside.
class P2pSocketsRelistTest : public ::testing::Test {
 protected:
  // `net` is the first three octets and a digit, e.g. "127.0.91.2": the node is net+"1", the
  // validator net+"3", the stranger net+"9".
  void Start(const std::string& net) {
    node_ip_ = net + "1";
    validator_ip_ = net + "3";
    stranger_ip_ = net + "9";
    node_listener_ = testing::Listen(node_ip_, node_port_);
    validator_listener_ = testing::Listen(validator_ip_, validator_port_);
    std::string node_addr = absl::StrCat(node_ip_, ":", node_port_);
    auto validators = std::make_shared<KnownValidators>();
    validators->Set({{"v1", node_addr}, {"v3", absl::StrCat(validator_ip_, ":", validator_port_)}});
    source_ = std::make_unique<P2pSocketsSource>(node_addr, validators);
    to_validator_ = testing::Connect(node_ip_, validator_ip_, validator_port_);
    validator_end_ = accept(validator_listener_, nullptr, nullptr);
    ASSERT_GE(validator_end_, 0);
  }

  // Between two snapshots the validator sends a view: well after the last snapshot and well
  // before the next, so that the kernel's millisecond ages (counted in jiffies of up to 10 ms)
  // cannot put the data on the wrong side of either.
  void ValidatorSendsAView() { SendAView(validator_end_, to_validator_); }
  void SendAView(int sender, int receiver) {
    absl::SleepFor(absl::Milliseconds(70));
    ASSERT_EQ(write(sender, "view", 4), 4);
    char buffer[8];
    ASSERT_EQ(read(receiver, buffer, sizeof(buffer)), 4);
    absl::SleepFor(absl::Milliseconds(30));
  }
  // The same wait with nothing sent.
  void ValidatorStaysQuiet() { absl::SleepFor(absl::Milliseconds(100)); }

  // The validator dials the node too (a second session with it, inbound).
  void ValidatorDials() {
    validator_dial_ = testing::Connect(validator_ip_, node_ip_, node_port_);
    validator_dial_end_ = accept(node_listener_, nullptr, nullptr);
    ASSERT_GE(validator_dial_end_, 0);
  }

  void StrangerConnects() {
    stranger_ = testing::Connect(stranger_ip_, node_ip_, node_port_);
    stranger_end_ = accept(node_listener_, nullptr, nullptr);
    ASSERT_GE(stranger_end_, 0);
  }

  // One snapshot; whether the stranger's session is in it.
  bool SnapshotShowsStranger() {
    last_ = v1::Snapshot();
    absl::Status s = source_->Collect(absl::Now() + absl::Seconds(1), last_);
    EXPECT_TRUE(s.ok()) << s;
    for (const v1::PeerView& peer : last_.peers()) {
      if (peer.remote_addr().starts_with(stranger_ip_ + ":")) return true;
    }
    return false;
  }

  void TearDown() override {
    for (int fd : {node_listener_, validator_listener_, to_validator_, validator_end_,
                   validator_dial_, validator_dial_end_, stranger_, stranger_end_}) {
      if (fd >= 0) close(fd);
    }
  }

  std::string node_ip_, validator_ip_, stranger_ip_;
  uint16_t node_port_ = 0, validator_port_ = 0;
  int node_listener_ = -1, validator_listener_ = -1, to_validator_ = -1, validator_end_ = -1;
  int validator_dial_ = -1, validator_dial_end_ = -1;
  int stranger_ = -1, stranger_end_ = -1;
  std::unique_ptr<P2pSocketsSource> source_;
  v1::Snapshot last_;  // the last snapshot's part
};

TEST_F(P2pSocketsRelistTest, SteadySessionsAreLookedUpAndEveryTenthSnapshotListsTheTable) {
  ASSERT_NO_FATAL_FAILURE(Start("127.0.91.2"));
  EXPECT_FALSE(SnapshotShowsStranger());  // snapshot 1: the first lists
  EXPECT_EQ(last_.peers_size(), 1) << last_.DebugString();
  ASSERT_NO_FATAL_FAILURE(StrangerConnects());
  // Snapshots 2-10 look the validator's session up: the stranger stays unseen.
  for (int snapshot = 2; snapshot <= P2pSocketsSource::kFullListingEvery; ++snapshot) {
    ASSERT_NO_FATAL_FAILURE(ValidatorSendsAView());
    EXPECT_FALSE(SnapshotShowsStranger()) << "snapshot " << snapshot << " listed the table";
    EXPECT_EQ(last_.peers_size(), 1) << "snapshot " << snapshot;
  }
  // Snapshot 11: the listing of snapshot 1 is 10 snapshots old.
  ASSERT_NO_FATAL_FAILURE(ValidatorSendsAView());
  EXPECT_TRUE(SnapshotShowsStranger()) << last_.DebugString();
  EXPECT_EQ(last_.peers_size(), 2);
}

// The restarted-node case of S21: the node's own dial stays up but goes quiet while the traffic
// moves to a session the lookup cannot see.
TEST_F(P2pSocketsRelistTest, ASessionThatReceivedNothingSinceTheLastSnapshotListsTheTable) {
  ASSERT_NO_FATAL_FAILURE(Start("127.0.91.3"));
  EXPECT_FALSE(SnapshotShowsStranger());
  ASSERT_NO_FATAL_FAILURE(StrangerConnects());
  ASSERT_NO_FATAL_FAILURE(ValidatorSendsAView());
  EXPECT_FALSE(SnapshotShowsStranger()) << "a session that received was not looked up";
  ValidatorStaysQuiet();
  EXPECT_TRUE(SnapshotShowsStranger()) << last_.DebugString();
}

// guts-sim's nodes talk one way on each session, each on its own dial: the node's dial to the
// validator only sends, the validator's views come on the validator's dial. Heard on one of its
// sessions, the validator keeps both looked up; silent on all, the table is listed.
TEST_F(P2pSocketsRelistTest, AValidatorHeardOnItsOwnDialKeepsTheNodesSendOnlyDialLookedUp) {
  ASSERT_NO_FATAL_FAILURE(Start("127.0.91.6"));
  ASSERT_NO_FATAL_FAILURE(ValidatorDials());
  EXPECT_FALSE(SnapshotShowsStranger());
  EXPECT_EQ(last_.peers_size(), 2) << last_.DebugString();
  ASSERT_NO_FATAL_FAILURE(StrangerConnects());
  for (int snapshot = 2; snapshot <= 4; ++snapshot) {
    ASSERT_EQ(write(to_validator_, "vote", 4), 4);  // the node sends on its dial
    ASSERT_NO_FATAL_FAILURE(SendAView(validator_dial_, validator_dial_end_));
    EXPECT_FALSE(SnapshotShowsStranger()) << "snapshot " << snapshot << " listed the table";
  }
  ValidatorStaysQuiet();
  EXPECT_TRUE(SnapshotShowsStranger()) << last_.DebugString();
}

// The peer closed its side (its node restarting): the node's session is in CLOSE_WAIT and its
// successor can only be found by a listing, in the same snapshot.
TEST_F(P2pSocketsRelistTest, ASessionThatLeftEstablishedListsTheTable) {
  ASSERT_NO_FATAL_FAILURE(Start("127.0.91.4"));
  EXPECT_FALSE(SnapshotShowsStranger());
  ASSERT_NO_FATAL_FAILURE(StrangerConnects());
  ASSERT_NO_FATAL_FAILURE(ValidatorSendsAView());
  EXPECT_FALSE(SnapshotShowsStranger());
  // A last view, then the validator closes: data received since the last snapshot, so only the
  // state can make this snapshot list.
  absl::SleepFor(absl::Milliseconds(70));
  ASSERT_EQ(write(validator_end_, "view", 4), 4);
  ASSERT_EQ(shutdown(validator_end_, SHUT_WR), 0);
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_TRUE(SnapshotShowsStranger()) << last_.DebugString();
  const v1::PeerView* out = Find(last_, v1::PEER_DIRECTION_OUTBOUND);
  ASSERT_NE(out, nullptr) << last_.DebugString();
  EXPECT_EQ(out->tcp_state(), "CLOSE_WAIT");
}

TEST_F(P2pSocketsRelistTest, ASessionThatDisappearedListsTheTable) {
  ASSERT_NO_FATAL_FAILURE(Start("127.0.91.5"));
  EXPECT_FALSE(SnapshotShowsStranger());
  ASSERT_NO_FATAL_FAILURE(StrangerConnects());
  ASSERT_NO_FATAL_FAILURE(ValidatorSendsAView());
  EXPECT_FALSE(SnapshotShowsStranger());
  // The node aborts its dial (a reset, no TIME_WAIT): the socket is gone from the kernel.
  linger abort{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(setsockopt(to_validator_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort)), 0);
  close(to_validator_);
  to_validator_ = -1;
  EXPECT_TRUE(SnapshotShowsStranger()) << last_.DebugString();
  EXPECT_EQ(Find(last_, v1::PEER_DIRECTION_OUTBOUND), nullptr) << last_.DebugString();
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
