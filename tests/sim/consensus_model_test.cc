#include "sim/consensus_model.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <set>

#include "sim/node_key.h"

namespace guts::sim {
namespace {

// Seven replicas wired through an in-memory router that honours cut links; time advances in
// 10 ms steps, so these tests are exact and fast.
class Cluster {
 public:
  explicit Cluster(int n) : validators_(std::vector<uint64_t>(n, 100)), now_(absl::UnixEpoch()) {
    ConsensusTiming t;
    for (int i = 0; i < n; ++i) {
      replicas_.push_back(
          std::make_unique<Replica>(&validators_, i, t,
                                    Replica::Effects{
                                        .send =
                                            [this, i](uint32_t to, const WireMessage& m) {
                                              if (!cut_.count({i, static_cast<int>(to)}))
                                                queue_.push_back({to, m});
                                            },
                                        .finalized = [](const BlockHeader&) {},
                                        .conflict = [](uint64_t, const BlockHeader&) {},
                                    }));
    }
    for (auto& r : replicas_) r->Start(now_);
  }
  void Split(const std::set<int>& a) {
    for (int i = 0; i < size(); ++i) {
      for (int j = 0; j < size(); ++j) {
        if (a.count(i) != a.count(j)) cut_.insert({i, j});
      }
    }
  }
  void Heal() { cut_.clear(); }
  void Run(absl::Duration d) {
    for (absl::Time end = now_ + d; now_ < end; now_ += absl::Milliseconds(10)) {
      while (!queue_.empty()) {
        auto [to, m] = queue_.front();
        queue_.pop_front();
        replicas_[to]->OnMessage(m, now_);
      }
      for (auto& r : replicas_) {
        if (absl::ToInt64Milliseconds(now_ - absl::UnixEpoch()) % 500 == 0) {
          WireMessage hb = r->Heartbeat();
          for (int j = 0; j < size(); ++j) {
            if (j != static_cast<int>(hb.from) && !cut_.count({static_cast<int>(hb.from), j})) {
              queue_.push_back({static_cast<uint32_t>(j), hb});
            }
          }
        }
        r->OnTick(now_);
      }
    }
  }
  Replica& at(int i) { return *replicas_[i]; }
  int size() const { return static_cast<int>(replicas_.size()); }

 private:
  ValidatorSet validators_;
  absl::Time now_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::deque<std::pair<uint32_t, WireMessage>> queue_;
  std::set<std::pair<int, int>> cut_;
};

TEST(ValidatorSetTest, SimplexQuorumIsNMinusFOneVoteEachForEveryNUpTo31) {
  for (uint64_t n = 1; n <= 31; ++n) {
    // Weights are ignored: one vote per participant.
    ValidatorSet set(std::vector<uint64_t>(n, 100), QuorumRule::kSimplexParticipants);
    EXPECT_EQ(set.total_weight(), n);
    EXPECT_EQ(set.quorum_weight(), n - (n - 1) / 3) << n;
    // The smallest q with 3q >= 2n + 1.
    uint64_t q = set.quorum_weight();
    EXPECT_GE(3 * q, 2 * n + 1) << n;
    EXPECT_LT(3 * (q - 1), 2 * n + 1) << n;
  }
  // The values GUTS_NODE.md lists, and where the simulation rule differs (n = 6: 5 vs 4).
  EXPECT_EQ(
      ValidatorSet(std::vector<uint64_t>(7, 1), QuorumRule::kSimplexParticipants).quorum_weight(),
      5u);
  EXPECT_EQ(
      ValidatorSet(std::vector<uint64_t>(6, 1), QuorumRule::kSimplexParticipants).quorum_weight(),
      5u);
  EXPECT_EQ(ValidatorSet(std::vector<uint64_t>(6, 1)).quorum_weight(), 4u);
}

TEST(ValidatorSetTest, KeysAreRealEd25519AndStable) {
  NodeKey k = NodeKeyOf(0);
  EXPECT_EQ(k.private_hex.size(), 64u);
  EXPECT_EQ(k.public_hex.size(), 64u);
  EXPECT_EQ(ValidatorSet::PublicKeyHex(0), k.public_hex);
  EXPECT_NE(NodeKeyOf(1).public_hex, k.public_hex);
  EXPECT_EQ(NodeKeyOf(1).public_hex, NodeKeyOf(1).public_hex);
}

TEST(ValidatorSetTest, QuorumIsTwoThirdsOfTheWeightRoundedUp) {
  EXPECT_EQ(ValidatorSet({100, 100, 100, 100}).quorum_weight(), 267u);
  EXPECT_EQ(ValidatorSet(std::vector<uint64_t>(7, 100)).quorum_weight(), 467u);
  EXPECT_EQ(ValidatorSet(std::vector<uint64_t>(10, 1)).quorum_weight(), 7u);
  EXPECT_EQ(ValidatorSet({1, 1, 1}).quorum_weight(), 2u);
}

TEST(ReplicaTest, HealthyNetworkFinalizesABlockPerBlockTime) {
  Cluster c(7);
  c.Run(absl::Seconds(10));
  EXPECT_GE(c.at(0).height(), 7u);
  for (int i = 1; i < 7; ++i) EXPECT_EQ(c.at(i).tip().id, c.at(0).tip().id);
}

TEST(ReplicaTest, FiveTwoSplitKeepsTheFiveFinalizingAndStallsTheTwo) {
  Cluster c(7);
  c.Run(absl::Seconds(3));
  c.Split({0, 1, 2, 3, 4});
  c.Run(absl::Seconds(1));
  uint64_t five = c.at(0).height(), two = c.at(5).height();
  c.Run(absl::Seconds(10));
  EXPECT_GE(c.at(0).height(), five + 4);
  EXPECT_EQ(c.at(5).height(), two);
  EXPECT_EQ(c.at(6).height(), two);
}

TEST(ReplicaTest, FourThreeSplitHaltsBothSidesAndHealCatchesUpWithoutFork) {
  Cluster c(7);
  c.Run(absl::Seconds(3));
  c.Split({0, 1, 2, 3});
  c.Run(absl::Seconds(1));
  uint64_t h = c.at(0).height();
  c.Run(absl::Seconds(10));
  for (int i = 0; i < 7; ++i) EXPECT_LE(c.at(i).height(), h + 1) << "v" << i + 1;
  c.Heal();
  c.Run(absl::Seconds(15));
  EXPECT_GT(c.at(0).height(), h + 3);
  for (int i = 1; i < 7; ++i) {
    EXPECT_EQ(c.at(i).tip().id, c.at(0).tip().id) << "v" << i + 1 << " forked";
  }
}

TEST(ReplicaTest, StalledLeadersMakeViewsClimbWithoutHeight) {
  Cluster c(4);
  c.Run(absl::Seconds(3));
  for (int i = 0; i < 4; ++i) c.at(i).set_withhold_proposals(true);
  uint64_t h = c.at(0).height(), v = c.at(0).view();
  c.Run(absl::Seconds(5));
  EXPECT_EQ(c.at(0).height(), h);
  EXPECT_GE(c.at(0).view(), v + 3);
}

TEST(ReplicaTest, ApplicationHaltKeepsTheViewSteady) {
  Cluster c(4);
  c.Run(absl::Seconds(3));
  for (int i = 0; i < 4; ++i) c.at(i).set_halted(true);
  c.Run(absl::Milliseconds(100));
  uint64_t h = c.at(0).height(), v = c.at(0).view();
  c.Run(absl::Seconds(5));
  EXPECT_EQ(c.at(0).height(), h);
  EXPECT_EQ(c.at(0).view(), v);
}

TEST(ReplicaTest, SlowNodeFallsBehindAtItsPace) {
  Cluster c(7);
  c.Run(absl::Seconds(2));
  c.at(4).set_speed(0.5);
  uint64_t start = c.at(0).height();
  c.Run(absl::Seconds(20));
  uint64_t network = c.at(0).height() - start;
  uint64_t slow = c.at(4).height() - start;
  EXPECT_LT(slow, network * 3 / 4);
  EXPECT_GT(slow, 0u);
}

TEST(ReplicaTest, ForkLeavesTwoBlockIdsAtOneHeight) {
  Cluster c(7);
  c.Run(absl::Seconds(3));
  for (int i = 0; i < 7; ++i) c.at(i).set_halted(true);
  c.Run(absl::Milliseconds(100));
  ASSERT_EQ(c.at(0).height(), c.at(6).height());
  uint64_t h = 0;
  for (int i = 0; i < 5; ++i) h = c.at(i).Fork("a", absl::UnixEpoch());
  for (int i = 5; i < 7; ++i) EXPECT_EQ(c.at(i).Fork("b", absl::UnixEpoch()), h);
  EXPECT_EQ(c.at(1).tip().id, c.at(0).tip().id);
  EXPECT_EQ(c.at(6).tip().id, c.at(5).tip().id);
  EXPECT_NE(c.at(5).tip().id, c.at(0).tip().id);
  EXPECT_EQ(c.at(5).tip().parent, c.at(0).tip().parent);
}

}  // namespace
}  // namespace guts::sim
