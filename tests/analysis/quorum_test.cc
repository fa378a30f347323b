// The quorum rule of each mode, against its definition at every size an operator meets.
#include "collector/analysis/quorum.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

TEST(QuorumTest, SimplexIsTheSmallestQWithThreeQAboveTwoN) {
  for (uint64_t n = 1; n <= 31; ++n) {
    // GUTS_NODE.md: f = floor((n-1)/3), quorum n - f, the smallest q with 3q >= 2n + 1.
    uint64_t smallest = 0;
    while (3 * smallest < 2 * n + 1) ++smallest;
    EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, n), smallest) << "n = " << n;
    EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, n), n - (n - 1) / 3) << "n = " << n;
  }
}

TEST(QuorumTest, SimplexFiguresFromTheNodeDocs) {
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 4), 3u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 5), 4u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 6), 5u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 7), 5u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 10), 7u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 31), 21u);
}

TEST(QuorumTest, SimulationIsCeilingOfTwoThirdsAtEveryN) {
  for (uint64_t n = 1; n <= 31; ++n) {
    uint64_t ceil = (2 * n) / 3 + ((2 * n) % 3 != 0 ? 1 : 0);
    EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, n), ceil) << "n = " << n;
  }
}

TEST(QuorumTest, TheModesDifferWhereTwoThirdsIsExact) {
  // n = 6: ceil(2/3 x 6) = 4, but Simplex needs 5 (3 x 4 < 13).
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, 6), 4u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 6), 5u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, 3), 2u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 3), 3u);
}

TEST(QuorumTest, SimulationWeightedTotals) {
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, 400), 267u);  // devnet of 4 x 100
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, 700), 467u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, 1000), 667u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, 300 + 100 + 100), 334u);  // uneven
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_UNSPECIFIED, 700), 467u);
}

TEST(QuorumTest, NoValidatorsNoQuorum) {
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMPLEX, 0), 0u);
  EXPECT_EQ(QuorumWeight(v1::CONSENSUS_MODE_SIMULATION, 0), 0u);
}

}  // namespace
}  // namespace guts::collector
