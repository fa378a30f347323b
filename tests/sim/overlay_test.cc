#include "sim/overlay.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace guts::sim {
namespace {

TEST(OverlayTest, FullMeshLinksEveryPairAndSendsStraight) {
  Overlay mesh(7, 0);
  EXPECT_TRUE(mesh.full_mesh());
  EXPECT_EQ(mesh.Peers(2), (std::vector<uint32_t>{0, 1, 3, 4, 5, 6}));
  EXPECT_EQ(mesh.MaxPeers(), 6);
  EXPECT_EQ(mesh.NextHop(2, 5), 5u);
}

TEST(OverlayTest, LightModeDialsRingNeighboursAndPowerOfTwoChordsSymmetrically) {
  Overlay light(1000, 4);
  std::vector<uint32_t> peers = light.Peers(0);
  // +-1, +-2 (the ring), +-4 ... +-256 (the chords): 2 x 9 links.
  EXPECT_EQ(peers.size(), 18u);
  EXPECT_EQ(light.MaxPeers(), 18);
  for (uint32_t p : {1u, 2u, 4u, 256u, 999u, 998u, 744u}) {
    EXPECT_TRUE(std::count(peers.begin(), peers.end(), p)) << p;
  }
  EXPECT_FALSE(light.Linked(0, 3));
  EXPECT_FALSE(light.Linked(0, 500));
  for (uint32_t a = 0; a < 1000; a += 37) {
    for (uint32_t b = 0; b < 1000; b += 41) EXPECT_EQ(light.Linked(a, b), light.Linked(b, a));
  }
}

TEST(OverlayTest, RelayedMessagesReachEveryNodeWithinLogarithmicHops) {
  Overlay light(1000, 4);
  int most = 0;
  for (uint32_t from = 0; from < 1000; from += 7) {
    for (uint32_t to = 0; to < 1000; ++to) {
      if (to == from) continue;
      int hops = 0;
      for (uint32_t at = from; at != to; ++hops) {
        uint32_t next = light.NextHop(at, to);
        ASSERT_TRUE(light.Linked(at, next)) << at << " -> " << next;
        at = next;
        ASSERT_LE(hops, 20) << from << " -> " << to;
      }
      most = std::max(most, hops);
    }
  }
  EXPECT_LE(most, 10);  // each hop at least halves the ring distance (at most 500)
}

}  // namespace
}  // namespace guts::sim
