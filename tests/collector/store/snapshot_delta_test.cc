#include "collector/store/snapshot_delta.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "tests/collector/store/realistic_run.h"

namespace guts::collector {
namespace {

using guts::diag::v1::Snapshot;

using testing::SnapshotBytes;

TEST(SnapshotDeltaTest, ThreeThousandSecondsOfARealisticNodeRebuildByteIdentical) {
  testing::RealisticRun run("v3", 3);
  absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::string previous = SnapshotBytes(run.Next(1, start));
  size_t deltas = 0, structure_changes = 0, delta_bytes = 0;
  for (uint64_t seq = 2; seq <= 3000; ++seq) {
    std::string current = SnapshotBytes(run.Next(seq, start));
    std::string delta;
    if (EncodeSnapshotDelta(previous, current, &delta)) {
      absl::StatusOr<std::string> rebuilt = ApplySnapshotDelta(previous, delta);
      ASSERT_TRUE(rebuilt.ok()) << "seq " << seq << ": " << rebuilt.status();
      ASSERT_EQ(*rebuilt, current) << "seq " << seq;
      ++deltas;
      delta_bytes += delta.size();
    } else {
      ++structure_changes;
    }
    previous = std::move(current);
  }
  // Peers, checks, series and errors come and go, yet most seconds keep their structure.
  EXPECT_GT(structure_changes, 20u);
  EXPECT_GT(deltas, 2500u);
  // A delta is far smaller than the ~1.5 KB snapshot.
  EXPECT_LT(delta_bytes / deltas, 600u);
}

// The encoder descends into every message field, however deep (a singular message, a repeated
// one, a map's value): one figure changed in there costs a bitmap bit and its own few bytes,
// never the enclosing message's bytes stored again.
TEST(SnapshotDeltaTest, AFigureDeepInsideCostsOnlyItself) {
  testing::RealisticRun run("v3", 3);
  const Snapshot base = run.Next(10, absl::FromUnixSeconds(1'800'000'000));
  ASSERT_GT(base.peers_size(), 1);
  ASSERT_FALSE(base.health().checks().empty());
  const std::string base_bytes = SnapshotBytes(base);
  std::string same;
  ASSERT_TRUE(EncodeSnapshotDelta(base_bytes, base_bytes, &same));
  auto changed_by = [&](const std::function<void(Snapshot&)>& change) {
    Snapshot s = base;
    change(s);
    std::string delta;
    EXPECT_TRUE(EncodeSnapshotDelta(base_bytes, SnapshotBytes(s), &delta));
    absl::StatusOr<std::string> rebuilt = ApplySnapshotDelta(base_bytes, delta);
    EXPECT_TRUE(rebuilt.ok() && *rebuilt == SnapshotBytes(s));
    return delta.size() - same.size();
  };
  EXPECT_LE(changed_by([](Snapshot& s) {
              s.mutable_consensus()->set_finalized_height(s.consensus().finalized_height() + 1);
            }),
            2u);
  EXPECT_LE(
      changed_by([](Snapshot& s) { s.mutable_peers(1)->set_rtt_us(s.peers(1).rtt_us() + 1); }), 2u);
  EXPECT_LE(changed_by([](Snapshot& s) {
              auto& check = s.mutable_health()->mutable_checks()->begin()->second;
              check.set_latency_ms(check.latency_ms() + 1);
            }),
            2u);
}

TEST(SnapshotDeltaTest, AChangedStructureIsRefusedNotEncodedWrongly) {
  Snapshot a;
  a.set_node_id("v1");
  a.add_peers()->set_remote_addr("10.0.0.1:9000");
  Snapshot b = a;
  b.add_peers()->set_remote_addr("10.0.0.2:9000");
  std::string delta;
  EXPECT_FALSE(EncodeSnapshotDelta(SnapshotBytes(a), SnapshotBytes(b), &delta));
  EXPECT_FALSE(EncodeSnapshotDelta(SnapshotBytes(b), SnapshotBytes(a), &delta));
}

TEST(SnapshotDeltaTest, NegativeAndShrinkingFiguresAndUnknownFieldsRoundTrip) {
  Snapshot a;
  a.set_node_id("v1");
  a.mutable_system()->set_node_pid(-1);
  a.mutable_consensus()->set_finalized_height(1ull << 62);
  a.mutable_system()->set_load1(2.5);
  a.mutable_log()->set_public_key("abc");
  a.GetReflection()->MutableUnknownFields(&a)->AddLengthDelimited(999, "from a newer agent");
  Snapshot b = a;
  b.mutable_system()->set_node_pid(4242);
  b.mutable_consensus()->set_finalized_height(3);
  b.mutable_system()->set_load1(-0.125);
  b.mutable_log()->set_public_key("a longer key than before");
  b.GetReflection()->MutableUnknownFields(&b)->mutable_field(0)->set_length_delimited("other");
  std::string delta;
  ASSERT_TRUE(EncodeSnapshotDelta(SnapshotBytes(a), SnapshotBytes(b), &delta));
  absl::StatusOr<std::string> rebuilt = ApplySnapshotDelta(SnapshotBytes(a), delta);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(*rebuilt, SnapshotBytes(b));
}

TEST(SnapshotDeltaTest, ADamagedDeltaIsDataLossNotACrash) {
  testing::RealisticRun run("v1", 1);
  absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::string a = SnapshotBytes(run.Next(1, start)), b = SnapshotBytes(run.Next(2, start));
  std::string delta;
  ASSERT_TRUE(EncodeSnapshotDelta(a, b, &delta));
  EXPECT_EQ(ApplySnapshotDelta(a, delta.substr(0, delta.size() / 2)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ApplySnapshotDelta(a, delta + "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(ApplySnapshotDelta("\xff\xff", delta).ok());
}

}  // namespace
}  // namespace guts::collector
