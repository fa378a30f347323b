#include "collector/store/keys.h"

#include <gtest/gtest.h>

#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector::keys {
namespace {

TEST(KeysTest, SnapshotKeyRoundTrips) {
  std::string k = SnapshotKey("v3", 1700000000123, 42);
  absl::StatusOr<SnapshotKeyParts> parts = ParseSnapshotKey(k);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->node, "v3");
  EXPECT_EQ(parts->taken_unix_ms, 1700000000123);
  EXPECT_EQ(parts->seq, 42u);
}

TEST(KeysTest, SnapshotKeysOfOneNodeSortByTimeThenSeq) {
  EXPECT_LT(SnapshotKey("v1", 1000, 9), SnapshotKey("v1", 2000, 1));
  EXPECT_LT(SnapshotKey("v1", 1000, 1), SnapshotKey("v1", 1000, 2));
  // 256 > 255 numerically must also hold bytewise (big-endian).
  EXPECT_LT(SnapshotKey("v1", 255, 1), SnapshotKey("v1", 256, 1));
}

TEST(KeysTest, NodeV1RangeNeverContainsNodeV10) {
  std::string v10 = SnapshotKey("v10", 0, 0);
  EXPECT_FALSE(v10 >= NodePrefix("v1") && v10 < NodeEnd("v1"));
  std::string v1 = SnapshotKey("v1", INT64_MAX, UINT64_MAX);
  EXPECT_TRUE(v1 >= NodePrefix("v1") && v1 < NodeEnd("v1"));
  EXPECT_LT(SnapshotTimeBound("v1", 5000), SnapshotKey("v1", 5000, 0) + "x");
}

TEST(KeysTest, NegativeTimesClampToZero) {
  EXPECT_EQ(SnapshotTimeBound("v1", -5), SnapshotTimeBound("v1", 0));
}

TEST(KeysTest, MalformedSnapshotKeysAreDataLoss) {
  EXPECT_EQ(ParseSnapshotKey("v1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseSnapshotKey(NodePrefix("v1") + "short").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseSnapshotKey(std::string("\0", 1) + std::string(16, 'a')).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(KeysTest, LatestKeysTellSnapshotFromHello) {
  absl::StatusOr<LatestKeyParts> s = ParseLatestKey(LatestSnapshotKey("v7"));
  absl::StatusOr<LatestKeyParts> h = ParseLatestKey(HelloKey("v7"));
  ASSERT_TRUE(s.ok() && h.ok());
  EXPECT_EQ(s->node, "v7");
  EXPECT_EQ(s->kind, LatestKind::kSnapshot);
  EXPECT_EQ(h->kind, LatestKind::kHello);
  EXPECT_FALSE(ParseLatestKey(NodePrefix("v7") + "x").ok());
}

TEST(KeysTest, LatestValueRoundTripsAndRejectsShortInput) {
  LatestValue v{.received_unix_ms = 1700000000000,
                .first_seen_unix_ms = 1600000000000,
                .snapshot_key = SnapshotKey("v7", 1700000000000, 42)};
  absl::StatusOr<LatestValue> back = DecodeLatestValue(EncodeLatestValue(v));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->received_unix_ms, v.received_unix_ms);
  EXPECT_EQ(back->first_seen_unix_ms, v.first_seen_unix_ms);
  EXPECT_EQ(back->snapshot_key, v.snapshot_key);
  EXPECT_TRUE(back->snapshot.empty());
  EXPECT_EQ(DecodeLatestValue("short").status().code(), absl::StatusCode::kDataLoss);
}

// Stores of layout version 2 hold the snapshot itself; those values still decode.
TEST(KeysTest, LatestValueOfTheEarlierLayoutStillDecodes) {
  guts::diag::v1::Snapshot snapshot;
  snapshot.set_node_id("v7");
  snapshot.set_seq(42);
  LatestValue v{.received_unix_ms = 1700000000000,
                .first_seen_unix_ms = 1600000000000,
                .snapshot = snapshot.SerializeAsString()};
  absl::StatusOr<LatestValue> back = DecodeLatestValue(EncodeLatestValue(v));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->snapshot_key.empty());
  EXPECT_EQ(back->snapshot, v.snapshot);
}

TEST(KeysTest, LatestValueNamingNoSnapshotKeyIsDataLoss) {
  std::string bytes(16, '\1');
  bytes += '\0';
  bytes += "not a key";
  EXPECT_EQ(DecodeLatestValue(bytes).status().code(), absl::StatusCode::kDataLoss);
}

TEST(KeysTest, BundleChunkKeysSortByOffset) {
  EXPECT_LT(BundleChunkKey("b1", 1 << 20), BundleChunkKey("b1", 2 << 20));
  absl::StatusOr<uint64_t> offset = ParseBundleChunkOffset(BundleChunkKey("b1", 12345));
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*offset, 12345u);
  EXPECT_FALSE(ParseBundleChunkOffset("b1").ok());
}

TEST(KeysTest, NodeIdsAreBoundedAndPlain) {
  EXPECT_TRUE(ValidNodeId("v1"));
  EXPECT_TRUE(ValidNodeId("validator-3.eu_west:1"));
  EXPECT_FALSE(ValidNodeId(""));
  EXPECT_FALSE(ValidNodeId(std::string(129, 'a')));
  EXPECT_FALSE(ValidNodeId(std::string("v\0", 2)));
  EXPECT_FALSE(ValidNodeId("v1/../etc"));
  EXPECT_FALSE(ValidNodeId("v 1"));
  // One grammar everywhere: never ".", "..", a hidden file or an option.
  EXPECT_FALSE(ValidNodeId(".."));
  EXPECT_FALSE(ValidNodeId(".hidden"));
  EXPECT_FALSE(ValidNodeId("-rf"));
  EXPECT_FALSE(ValidNodeId(":7400"));
}

}  // namespace
}  // namespace guts::collector::keys
