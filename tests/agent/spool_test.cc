#include "agent/spool.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace guts::agent {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/guts-agent-spool-XXXXXX";
    dir_ = mkdtemp(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Spool> Open(uint64_t max_bytes = 64 << 20) {
    absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir_, max_bytes);
    EXPECT_TRUE(spool.ok()) << spool.status();
    return spool.ok() ? *std::move(spool) : nullptr;
  }
  static void AppendN(Spool& spool, int n, size_t size = 100) {
    for (int i = 0; i < n; ++i) {
      uint64_t seq = spool.NextSeq();
      ASSERT_TRUE(spool.Append(seq, std::string(size, static_cast<char>('a' + seq % 26))).ok());
    }
  }
  static std::vector<uint64_t> Seqs(Spool& spool, uint64_t after = 0) {
    std::vector<uint64_t> seqs;
    absl::StatusOr<std::vector<SpoolRecord>> records = spool.ReadAfter(after, 1 << 20);
    EXPECT_TRUE(records.ok()) << records.status();
    for (const SpoolRecord& r : *records) seqs.push_back(r.seq);
    return seqs;
  }

  std::string dir_;
};

TEST_F(SpoolTest, SeqAndUnackedRecordsSurviveReopen) {
  {
    std::unique_ptr<Spool> spool = Open();
    EXPECT_EQ(spool->NextSeq(), 1u);
    AppendN(*spool, 10);
    ASSERT_TRUE(spool->Ack(4).ok());
  }
  std::unique_ptr<Spool> spool = Open();
  EXPECT_EQ(spool->NextSeq(), 11u);
  // The ack is persisted lazily (once per segment): a restart may resend acked ones, never
  // lose unacked ones.
  EXPECT_LE(spool->last_acked(), 4u);
  EXPECT_EQ(Seqs(*spool, 4), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  absl::StatusOr<std::vector<SpoolRecord>> records = spool->ReadAfter(8, 10);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].payload, std::string(100, 'a' + 9));
}

TEST_F(SpoolTest, SeqNeverGoesBackAfterEverythingWasAcked) {
  {
    std::unique_ptr<Spool> spool = Open();
    AppendN(*spool, 5);
    ASSERT_TRUE(spool->Ack(5).ok());
    EXPECT_EQ(spool->depth(), 0u);
  }
  std::unique_ptr<Spool> spool = Open();
  EXPECT_EQ(spool->NextSeq(), 6u);
  EXPECT_TRUE(Seqs(*spool, 5).empty());
}

TEST_F(SpoolTest, AckIsPersistedWhenAckedSegmentsAreDeleted) {
  {
    std::unique_ptr<Spool> spool = Open(64 << 10);  // 8 KiB segments: ~37 records each
    AppendN(*spool, 100, 200);
    ASSERT_TRUE(spool->Ack(90).ok());
    EXPECT_EQ(spool->depth(), 10u);
  }
  std::unique_ptr<Spool> spool = Open(64 << 10);
  EXPECT_EQ(spool->last_acked(), 90u);
  EXPECT_EQ(Seqs(*spool), (std::vector<uint64_t>{91, 92, 93, 94, 95, 96, 97, 98, 99, 100}));
  EXPECT_EQ(spool->NextSeq(), 101u);
}

TEST_F(SpoolTest, CollectorAheadOfUsMovesTheSeqPastItDurably) {
  {
    std::unique_ptr<Spool> spool = Open();
    AppendN(*spool, 3);
    ASSERT_TRUE(spool->Ack(100).ok());  // e.g. the state dir was wiped, the collector remembers
    EXPECT_EQ(spool->NextSeq(), 101u);
  }
  EXPECT_EQ(Open()->NextSeq(), 101u);
}

TEST_F(SpoolTest, AppendWithWrongSeqIsRefused) {
  std::unique_ptr<Spool> spool = Open();
  EXPECT_EQ(spool->Append(7, "x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SpoolTest, FullSpoolDropsTheOldestAndCountsThem) {
  std::unique_ptr<Spool> spool = Open(64 << 10);  // 8 KiB segments
  AppendN(*spool, 1000, 200);                     // ~216 KB of frames
  EXPECT_LE(spool->bytes(), 64u << 10);
  uint64_t dropped = spool->TakeDropped();
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(spool->TakeDropped(), 0u);  // counted once
  EXPECT_EQ(spool->total_dropped(), dropped);
  std::vector<uint64_t> seqs = Seqs(*spool);
  ASSERT_FALSE(seqs.empty());
  // What is left is the newest, contiguous up to the last, and the count adds up.
  EXPECT_EQ(seqs.back(), 1000u);
  EXPECT_EQ(seqs.front(), dropped + 1);
  EXPECT_EQ(seqs.size(), 1000u - dropped);
  for (size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1);
}

TEST_F(SpoolTest, TornTailIsCutOffAndTheSpoolStaysUsable) {
  {
    std::unique_ptr<Spool> spool = Open();
    AppendN(*spool, 5);
  }
  std::string segment;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().filename().string().starts_with("seg-")) segment = entry.path();
  }
  ASSERT_FALSE(segment.empty());
  {
    // A crash mid-write: half a header and garbage after the last good frame.
    std::ofstream out(segment, std::ios::app | std::ios::binary);
    out.write("\x40\x00\x00\x00\x12\x34", 6);
  }
  std::unique_ptr<Spool> spool = Open();
  EXPECT_EQ(Seqs(*spool), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(spool->NextSeq(), 6u);
  AppendN(*spool, 1);
  spool.reset();
  spool = Open();
  EXPECT_EQ(Seqs(*spool), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(SpoolTest, CorruptRecordCutsTheSegmentThere) {
  {
    std::unique_ptr<Spool> spool = Open();
    AppendN(*spool, 4);
  }
  std::string segment;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().filename().string().starts_with("seg-")) segment = entry.path();
  }
  {
    // Flip a payload byte of the third record (each frame is 16 + 100 bytes).
    std::fstream io(segment, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(2 * 116 + 16 + 10);
    io.put('!');
  }
  std::unique_ptr<Spool> spool = Open();
  EXPECT_EQ(Seqs(*spool), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(spool->NextSeq(), 3u);
}

// A child appends as fast as it can and is SIGKILLed mid-stream; whatever Append returned OK
// for must be there after reopening, in order, with no gap and no corrupt record.
TEST_F(SpoolTest, EveryAppendedRecordSurvivesKillDashNine) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir_, 64 << 20);
    if (!spool.ok()) _exit(1);
    while (true) {
      uint64_t seq = (*spool)->NextSeq();
      if (!(*spool)->Append(seq, std::string(300, 'k')).ok()) _exit(2);
      // Report the seq only after Append returned: the parent's count is a lower bound.
      if (write(pipe_fds[1], &seq, sizeof(seq)) != sizeof(seq)) _exit(3);
    }
  }
  close(pipe_fds[1]);
  uint64_t last_reported = 0, seq = 0;
  while (last_reported < 200 && read(pipe_fds[0], &seq, sizeof(seq)) == sizeof(seq)) {
    last_reported = seq;
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  while (read(pipe_fds[0], &seq, sizeof(seq)) == sizeof(seq)) last_reported = seq;
  close(pipe_fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(last_reported, 200u);

  std::unique_ptr<Spool> spool = Open();
  std::vector<uint64_t> seqs = Seqs(*spool);
  ASSERT_GE(seqs.size(), last_reported);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  EXPECT_EQ(spool->NextSeq(), seqs.size() + 1);
}

TEST_F(SpoolTest, TooSmallBudgetIsRejected) {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir_, 1000);
  EXPECT_EQ(spool.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SpoolTest, RecordLeavesOnlyWhenEveryCollectorAckedIt) {
  const std::vector<std::string> two = {"collector-a:7400", "collector-b:7400"};
  absl::StatusOr<std::unique_ptr<Spool>> opened = Spool::Open(dir_, 256 << 10, two);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Spool& spool = **opened;
  ASSERT_EQ(spool.collectors(), 2u);
  AppendN(spool, 300, 500);  // several 32 KiB segments, within the budget
  ASSERT_EQ(spool.total_dropped(), 0u);
  ASSERT_TRUE(spool.Ack(0, 300).ok());
  // A has everything, B nothing: all of it stays, for B.
  EXPECT_EQ(spool.last_acked(0), 300u);
  EXPECT_EQ(spool.last_acked(1), 0u);
  EXPECT_EQ(spool.last_acked(), 0u);
  EXPECT_EQ(Seqs(spool, spool.last_acked(1)).size(), 300u);
  ASSERT_TRUE(spool.Ack(1, 120).ok());
  EXPECT_EQ(spool.last_acked(), 120u);
  std::vector<uint64_t> rest = Seqs(spool, 120);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.front(), 121u);
  EXPECT_EQ(rest.back(), 300u);
}

TEST_F(SpoolTest, EachCollectorsCursorSurvivesReopenApart) {
  const std::vector<std::string> two = {"10.0.0.1:7400", "10.0.0.2:7400"};
  {
    absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir_, 256 << 10, two);
    ASSERT_TRUE(spool.ok());
    AppendN(**spool, 200, 500);
    ASSERT_TRUE((*spool)->Ack(0, 200).ok());
    ASSERT_TRUE((*spool)->Ack(1, 50).ok());
  }
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir_, 256 << 10, two);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->NextSeq(), 201u);
  // Persisted when the cursor entered its last segment: a restart resends A at most one
  // segment, not everything B still needs.
  EXPECT_GT((*spool)->last_acked(0), 150u);
  EXPECT_LE((*spool)->last_acked(0), 200u);
  EXPECT_LE((*spool)->last_acked(1), 50u);
  EXPECT_EQ(Seqs(**spool, 50).front(), 51u);
  // A collector added to the list starts at the floor: it gets what is still spooled.
  spool->reset();
  absl::StatusOr<std::unique_ptr<Spool>> three =
      Spool::Open(dir_, 256 << 10, {two[0], two[1], "10.0.0.3:7400"});
  ASSERT_TRUE(three.ok());
  EXPECT_EQ((*three)->last_acked(2), (*three)->last_acked());
}

TEST_F(SpoolTest, FullSpoolCountsTheDropForEachCollectorThatLacked) {
  absl::StatusOr<std::unique_ptr<Spool>> opened =
      Spool::Open(dir_, 64 << 10, {"up:7400", "down:7400"});
  ASSERT_TRUE(opened.ok());
  Spool& spool = **opened;
  for (int i = 0; i < 400; ++i) {
    AppendN(spool, 1, 500);
    ASSERT_TRUE(spool.Ack(0, spool.NextSeq() - 1).ok());  // "up" keeps up, "down" is down
  }
  EXPECT_EQ(spool.dropped_for(0), 0u);
  EXPECT_GT(spool.dropped_for(1), 100u);
  EXPECT_EQ(spool.total_dropped(), spool.dropped_for(1));
  EXPECT_LE(spool.bytes(), 64u << 10);
  std::vector<uint64_t> rest = Seqs(spool, spool.last_acked(1));
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back(), 400u);
  EXPECT_EQ(rest.front(), spool.dropped_for(1) + 1);
}

TEST_F(SpoolTest, ACollectorListedTwiceIsRefused) {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir_, 64 << 20, {"a:1", "a:1"});
  EXPECT_EQ(spool.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace guts::agent
