#include "collector/fleet/snapshot_figures.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

TEST(SnapshotFiguresTest, CopiesEveryFigureTheAnalysisReads) {
  v1::Snapshot s;
  s.set_seq(42);
  s.set_interval_ms(2000);
  s.add_source_errors()->set_source("metrics");
  s.mutable_consensus()->set_finalized_height(900);
  s.mutable_consensus()->set_view(1200);
  s.mutable_consensus()->set_last_block_id("b900");
  s.mutable_health()->set_reachable(true);
  s.mutable_health()->set_uptime_seconds(3600);
  s.mutable_log()->set_config_fallback(true);
  s.mutable_log()->set_corruption_lines(3);
  s.mutable_system()->set_node_restarts(2);
  s.mutable_system()->set_disk_total_bytes(1000);
  s.mutable_system()->set_disk_available_bytes(150);
  s.mutable_system()->set_cgroup_memory_max_bytes(8000);
  s.mutable_system()->set_cgroup_memory_current_bytes(7000);
  s.mutable_system()->set_node_rss_bytes(6000);
  s.mutable_metrics()->set_http_5xx_ratio(0.25);
  s.mutable_metrics()->set_http_p99_seconds(1.5);
  s.mutable_validators()->set_epoch(7);
  s.mutable_validators()->add_validators()->set_name("v1");
  s.mutable_validators()->add_validators()->set_name("v2");

  SnapshotFigures f = SnapshotFiguresOf(s);
  EXPECT_TRUE(f.valid);
  EXPECT_EQ(f.seq, 42u);
  EXPECT_EQ(f.interval_ms, 2000u);
  EXPECT_FALSE(f.peer_source_failed);  // another source failed, not the sockets
  EXPECT_EQ(f.finalized_height, 900u);
  EXPECT_EQ(f.view, 1200u);
  EXPECT_EQ(f.block_id, "b900");
  EXPECT_EQ(f.block_height, 900u);
  EXPECT_TRUE(f.api_reachable);
  EXPECT_EQ(f.uptime_seconds, 3600u);
  EXPECT_TRUE(f.config_fallback);
  EXPECT_EQ(f.corruption_lines, 3u);
  EXPECT_EQ(f.node_restarts, 2u);
  EXPECT_EQ(f.disk_total_bytes, 1000u);
  EXPECT_EQ(f.disk_available_bytes, 150u);
  EXPECT_EQ(f.cgroup_memory_max_bytes, 8000u);
  EXPECT_EQ(f.cgroup_memory_current_bytes, 7000u);
  EXPECT_EQ(f.node_rss_bytes, 6000u);
  EXPECT_EQ(f.http_5xx_ratio, 0.25);
  EXPECT_EQ(f.http_p99_seconds, 1.5);
  EXPECT_EQ(f.validators, 2);
  EXPECT_EQ(f.validators_epoch, 7u);

  s.add_source_errors()->set_source("p2p_sockets");
  EXPECT_TRUE(SnapshotFiguresOf(s).peer_source_failed);
}

// API mode carries no block id in the consensus view; the node log's last "finalized block"
// line stands in, at its own height.
TEST(SnapshotFiguresTest, BlockIdComesFromTheLogOnlyWhenTheConsensusViewHasNone) {
  v1::Snapshot s;
  s.mutable_consensus()->set_finalized_height(900);
  s.mutable_log()->set_finalized_block_id("log899");
  s.mutable_log()->set_finalized_height(899);
  SnapshotFigures from_log = SnapshotFiguresOf(s);
  EXPECT_EQ(from_log.block_id, "log899");
  EXPECT_EQ(from_log.block_height, 899u);

  s.mutable_consensus()->set_last_block_id("b900");
  SnapshotFigures from_consensus = SnapshotFiguresOf(s);
  EXPECT_EQ(from_consensus.block_id, "b900");
  EXPECT_EQ(from_consensus.block_height, 900u);
}

}  // namespace
}  // namespace guts::collector
