#include "collector/query/node_history.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace guts::collector {
namespace {

// Past the downsampling watermark, history is one snapshot a minute: the seqs the
// downsampling dropped are not reported as lost, a seq really missing after it still is.
TEST(NodeHistoryTest, SeqsDroppedByDownsamplingAreNotReportedLost) {
  std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("guts-node-history-test-", getpid());
  std::filesystem::remove_all(dir);
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir});
    ASSERT_TRUE(store.ok()) << store.status();
    const int64_t start_ms = 1'800'000'000'000;
    for (uint64_t seq = 1; seq <= 300; ++seq) {
      if (seq == 250) continue;  // lost on the way
      SnapshotRecord r;
      r.snapshot.set_node_id("v1");
      r.snapshot.set_seq(seq);
      r.snapshot.set_taken_unix_ms(start_ms + static_cast<int64_t>(seq) * 1000);
      r.snapshot.mutable_consensus()->set_finalized_height(100 + seq);
      r.received = absl::FromUnixMillis(r.snapshot.taken_unix_ms());
      ASSERT_TRUE((*store)->PutSnapshots({r}).ok());
    }
    ASSERT_TRUE(
        (*store)
            ->DownsampleSnapshotsBefore(absl::FromUnixMillis(start_ms + 180'000), absl::Minutes(1))
            .ok());
    guts::diag::v1::NodeHistoryRequest request;
    request.set_node_id("v1");
    absl::StatusOr<std::vector<guts::diag::v1::HistoryPoint>> points =
        LoadNodeHistory(**store, request, absl::Seconds(10));
    ASSERT_TRUE(points.ok()) << points.status();
    // 59, 119, 179 (the last of each downsampled minute), then 180..300 without 250.
    ASSERT_EQ(points->size(), 3u + 120u);
    uint64_t missing = 0;
    for (const auto& p : *points) {
      missing += p.seqs_missing_before();
      if (p.seqs_missing_before() > 0) {
        EXPECT_EQ(p.seq(), 251u);
      }
    }
    EXPECT_EQ(missing, 1u);
    EXPECT_EQ((*points)[0].seq(), 59u);
    EXPECT_EQ((*points)[3].seq(), 180u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace guts::collector
