#include "collector/store/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "collector/store/keys.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/options_util.h"
#include "tests/collector/store/realistic_run.h"

namespace guts::collector {
namespace {

using guts::diag::v1::Snapshot;

std::string TempDir(const std::string& name) {
  std::string dir = std::filesystem::temp_directory_path() /
                    absl::StrCat("guts-store-test-", getpid(), "-", name);
  std::filesystem::remove_all(dir);
  return dir;
}

SnapshotRecord Record(const std::string& node, uint64_t seq, int64_t taken_ms) {
  SnapshotRecord r;
  r.snapshot.set_node_id(node);
  r.snapshot.set_seq(seq);
  r.snapshot.set_taken_unix_ms(taken_ms);
  r.snapshot.mutable_consensus()->set_finalized_height(100 + seq);
  r.received = absl::FromUnixMillis(taken_ms + 5);
  r.first_seen = absl::FromUnixMillis(1000);
  return r;
}

std::vector<uint64_t> Seqs(const Store& store, const std::string& node, absl::Time from,
                           absl::Time to) {
  std::vector<uint64_t> seqs;
  EXPECT_TRUE(store
                  .History(node, from, to,
                           [&](const Snapshot& s) {
                             seqs.push_back(s.seq());
                             return true;
                           })
                  .ok());
  return seqs;
}

using testing::SnapshotBytes;

// Opens the store's RocksDB directly (the Store closed) and hands `edit` the column family
// called `cf_name`, to plant what another build or version would have written.
void EditRaw(const std::string& dir, const std::string& cf_name,
             const std::function<void(rocksdb::DB*, rocksdb::ColumnFamilyHandle*)>& edit) {
  rocksdb::Options options;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, cfs, &handles, &db).ok());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == cf_name) edit(db, handles[i]);
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

// Every snapshot of `node` from the store, in key order, as deterministic bytes.
std::vector<std::string> StoredBytes(const Store& store, const std::string& node, absl::Time from,
                                     absl::Time to) {
  std::vector<std::string> out;
  absl::Status s = store.History(node, from, to, [&](const Snapshot& snapshot) {
    out.push_back(SnapshotBytes(snapshot));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Closes the store, runs `while_closed` (e.g. an EditRaw), and opens it again.
  void Reopen(const std::function<void()>& while_closed = [] {}) {
    store_.reset();
    while_closed();
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  // The one node LatestAll returns, with its snapshot.
  LatestNode OnlyLatest() {
    absl::StatusOr<std::vector<LatestNode>> latest = store_->LatestAll();
    EXPECT_TRUE(latest.ok()) << latest.status();
    EXPECT_EQ(latest.ok() ? latest->size() : 0, 1u);
    return latest.ok() && latest->size() == 1 ? latest->front() : LatestNode{};
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, HistoryReturnsOneNodesSnapshotsInTimeOrderWithinRange) {
  ASSERT_TRUE(store_
                  ->PutSnapshots({Record("v1", 1, 10000), Record("v10", 1, 10000),
                                  Record("v1", 2, 11000), Record("v1", 3, 12000)})
                  .ok());
  EXPECT_EQ(Seqs(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()),
            (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(Seqs(*store_, "v1", absl::FromUnixMillis(11000), absl::FromUnixMillis(12000)),
            (std::vector<uint64_t>{2}));
  EXPECT_EQ(Seqs(*store_, "v10", absl::InfinitePast(), absl::InfiniteFuture()),
            (std::vector<uint64_t>{1}));
  EXPECT_TRUE(Seqs(*store_, "v2", absl::InfinitePast(), absl::InfiniteFuture()).empty());
}

TEST_F(StoreTest, LatestKeepsTheHighestSeqAndTheHello) {
  ASSERT_TRUE(store_->PutSnapshots({Record("v1", 5, 15000), Record("v1", 4, 14000)}).ok());
  guts::diag::v1::Hello hello;
  hello.set_node_id("v1");
  hello.set_p2p_addr("127.0.0.11:9000");
  ASSERT_TRUE(store_->PutHello(hello).ok());
  absl::StatusOr<std::vector<LatestNode>> latest = store_->LatestAll();
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->size(), 1u);
  ASSERT_TRUE(latest->front().snapshot.has_value());
  EXPECT_EQ(latest->front().snapshot->seq(), 5u);
  EXPECT_EQ(latest->front().received, absl::FromUnixMillis(15005));
  ASSERT_TRUE(latest->front().hello.has_value());
  EXPECT_EQ(latest->front().hello->p2p_addr(), "127.0.0.11:9000");
}

// The latest CF names the latest snapshot; LatestAll reads it back from the snapshots CF: from
// the middle of a delta chain, after a reopen, and when the highest seq was taken by a clock
// that stepped back, so that an older snapshot's key sorts after it.
TEST_F(StoreTest, LatestReadsTheHighestSeqBackFromTheSnapshotsAfterReopen) {
  testing::RealisticRun run("v1", 1);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::vector<Snapshot> made;
  for (uint64_t seq = 1; seq <= 101; ++seq) made.push_back(run.Next(seq, start));
  made[100].set_taken_unix_ms(made[60].taken_unix_ms() + 500);  // the clock stepped back
  for (const Snapshot& s : made) {
    SnapshotRecord r;
    r.snapshot = s;
    r.received = absl::FromUnixMillis(s.taken_unix_ms() + 7);
    r.first_seen = start;
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  }
  Reopen();
  LatestNode latest = OnlyLatest();
  ASSERT_TRUE(latest.snapshot.has_value());
  EXPECT_EQ(SnapshotBytes(*latest.snapshot), SnapshotBytes(made[100]));
  EXPECT_EQ(latest.received, absl::FromUnixMillis(made[100].taken_unix_ms() + 7));
  EXPECT_EQ(latest.first_seen, start);
  EXPECT_EQ(store_->NodeIds().value(), std::vector<std::string>{"v1"});
}

// A node silent for longer than retention keeps: its latest snapshot is deleted, so LatestAll
// falls back to its newest stored one, and to none when nothing is left; its hello stays.
TEST_F(StoreTest, LatestOfANodeWhoseLatestSnapshotWasDeletedFallsBack) {
  ASSERT_TRUE(store_->PutSnapshots({Record("v1", 1, 1000), Record("v1", 2, 2000)}).ok());
  ASSERT_TRUE(store_->PutSnapshots({Record("v1", 9, 1500)}).ok());  // highest seq, older key
  ASSERT_TRUE(store_->DeleteSnapshotsBefore(absl::FromUnixMillis(1800)).ok());
  LatestNode latest = OnlyLatest();
  ASSERT_TRUE(latest.snapshot.has_value());
  EXPECT_EQ(latest.snapshot->seq(), 2u);
  ASSERT_TRUE(store_->DeleteSnapshotsBefore(absl::FromUnixMillis(5000)).ok());
  latest = OnlyLatest();
  EXPECT_EQ(latest.node_id, "v1");
  EXPECT_FALSE(latest.snapshot.has_value());
  EXPECT_EQ(latest.received, absl::FromUnixMillis(1505));
}

// A version 2 store's latest values hold the snapshot itself: still read as they are.
TEST_F(StoreTest, LatestValuesOfTheEarlierLayoutStillRead) {
  Snapshot old = Record("v3", 77, 5000).snapshot;
  Reopen([&] {
    EditRaw(dir_, "latest", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
      keys::LatestValue v{.received_unix_ms = 5005,
                          .first_seen_unix_ms = 1000,
                          .snapshot = old.SerializeAsString()};
      ASSERT_TRUE(db->Put({}, cf, keys::LatestSnapshotKey("v3"), keys::EncodeLatestValue(v)).ok());
    });
  });
  LatestNode latest = OnlyLatest();
  ASSERT_TRUE(latest.snapshot.has_value());
  EXPECT_EQ(SnapshotBytes(*latest.snapshot), SnapshotBytes(old));
  EXPECT_EQ(latest.received, absl::FromUnixMillis(5005));
}

TEST_F(StoreTest, SnapshotsSurviveReopen) {
  ASSERT_TRUE(store_->PutSnapshots({Record("v2", 1, 1000), Record("v2", 2, 2000)}).ok());
  store_.reset();
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Seqs(**s, "v2", absl::InfinitePast(), absl::InfiniteFuture()),
            (std::vector<uint64_t>{1, 2}));
}

TEST_F(StoreTest, RetentionDeletesOnlySnapshotsOlderThanTheCutoff) {
  ASSERT_TRUE(store_
                  ->PutSnapshots({Record("v1", 1, 1000), Record("v1", 2, 5000),
                                  Record("v3", 1, 2000), Record("v3", 2, 9000)})
                  .ok());
  ASSERT_TRUE(store_->DeleteSnapshotsBefore(absl::FromUnixMillis(5000)).ok());
  EXPECT_EQ(Seqs(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()),
            (std::vector<uint64_t>{2}));
  EXPECT_EQ(Seqs(*store_, "v3", absl::InfinitePast(), absl::InfiniteFuture()),
            (std::vector<uint64_t>{2}));
}

TEST_F(StoreTest, IncidentsRoundTrip) {
  guts::diag::v1::Incident a;
  a.set_id("inc-1");
  a.set_state(guts::diag::v1::OPEN);
  guts::diag::v1::Incident b = a;
  b.set_id("inc-2");
  ASSERT_TRUE(store_->PutIncidents({a, b}).ok());
  a.set_state(guts::diag::v1::RESOLVED);
  ASSERT_TRUE(store_->PutIncidents({a}).ok());
  absl::StatusOr<std::vector<guts::diag::v1::Incident>> all = store_->LoadIncidents();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].state(), guts::diag::v1::RESOLVED);
  EXPECT_EQ((*all)[1].state(), guts::diag::v1::OPEN);
}

TEST_F(StoreTest, BundleDataReadsBackAcrossChunkBoundaries) {
  guts::diag::v1::BundleInfo info;
  info.set_id("b1");
  info.set_node_id("v1");
  ASSERT_TRUE(store_->PutBundleInfo(info).ok());
  ASSERT_TRUE(store_->AppendBundleData("b1", 0, "hello ").ok());
  ASSERT_TRUE(store_->AppendBundleData("b1", 6, "bundle world").ok());
  EXPECT_EQ(*store_->ReadBundleData("b1", 0, 100), "hello bundle world");
  EXPECT_EQ(*store_->ReadBundleData("b1", 3, 6), "lo bun");
  EXPECT_EQ(*store_->ReadBundleData("b1", 18, 10), "");
  EXPECT_EQ(*store_->ReadBundleData("b2", 0, 10), "");
  EXPECT_EQ(store_->GetBundleInfo("b1")->node_id(), "v1");
  EXPECT_EQ(store_->GetBundleInfo("nope").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<guts::diag::v1::BundleInfo>> list = store_->ListBundles("v2", 0);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

// Three nodes for 3 000 s, written the way the collector writes (batches of every node's
// snapshot of a second, some seconds together), with a restart in the middle: every snapshot
// reads back byte-identical, over the whole run and over ranges starting mid-chain.
TEST_F(StoreTest, LongRealisticRunReadsBackByteIdenticalFromAnyStart) {
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  const uint64_t seconds = 3000;
  std::vector<testing::RealisticRun> runs;
  std::vector<std::string> nodes = {"v1", "v2", "v3"};
  for (int i = 0; i < 3; ++i) runs.emplace_back(nodes[i], i + 1);
  std::vector<std::vector<std::string>> written(3);
  std::vector<SnapshotRecord> batch;
  for (uint64_t seq = 1; seq <= seconds; ++seq) {
    for (int i = 0; i < 3; ++i) {
      SnapshotRecord r;
      r.snapshot = runs[i].Next(seq, start);
      r.received = start + absl::Seconds(seq);
      written[i].push_back(SnapshotBytes(r.snapshot));
      batch.push_back(std::move(r));
    }
    if (seq % 7 != 0 && seq % 3 != 0) {  // some batches hold several seconds
      ASSERT_TRUE(store_->PutSnapshots(batch).ok());
      batch.clear();
    }
    if (seq == seconds / 2) {
      ASSERT_TRUE(store_->PutSnapshots(batch).ok());
      batch.clear();
      store_.reset();
      absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open({.dir = dir_});
      ASSERT_TRUE(reopened.ok()) << reopened.status();
      store_ = *std::move(reopened);
    }
  }
  ASSERT_TRUE(store_->PutSnapshots(batch).ok());
  ASSERT_TRUE(store_->Compact().ok());
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> all =
        StoredBytes(*store_, nodes[i], absl::InfinitePast(), absl::InfiniteFuture());
    ASSERT_EQ(all.size(), written[i].size());
    for (size_t k = 0; k < all.size(); ++k) ASSERT_EQ(all[k], written[i][k]) << "seq " << k + 1;
    for (uint64_t from : {1ull, 2ull, 65ull, 100ull, 1499ull, 1501ull, 2999ull}) {
      std::vector<std::string> part = StoredBytes(*store_, nodes[i], start + absl::Seconds(from),
                                                  start + absl::Seconds(from + 40));
      ASSERT_EQ(part.size(), std::min<uint64_t>(40, seconds - from + 1)) << "from " << from;
      for (size_t k = 0; k < part.size(); ++k) {
        ASSERT_EQ(part[k], written[i][from - 1 + k]) << "from " << from << " +" << k;
      }
    }
  }
}

TEST_F(StoreTest, RetentionInsideAChainKeepsEverySnapshotAfterTheCutoffReadable) {
  testing::RealisticRun run("v1", 1);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::vector<std::string> written;
  for (uint64_t seq = 1; seq <= 300; ++seq) {
    SnapshotRecord r;
    r.snapshot = run.Next(seq, start);
    written.push_back(SnapshotBytes(r.snapshot));
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  }
  // 100 s is inside the second chain of 64 (its start is second 65, deleted): exactly the
  // seconds from 100 on stay, and read back, also once more snapshots build on them.
  ASSERT_TRUE(store_->DeleteSnapshotsBefore(start + absl::Seconds(100)).ok());
  for (uint64_t seq = 301; seq <= 320; ++seq) {
    SnapshotRecord r;
    r.snapshot = run.Next(seq, start);
    written.push_back(SnapshotBytes(r.snapshot));
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  }
  ASSERT_TRUE(store_->Compact().ok());
  std::vector<std::string> want(written.begin() + 99, written.end());
  EXPECT_EQ(StoredBytes(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()), want);
  std::vector<std::string> tail(written.begin() + 149, written.end());
  EXPECT_EQ(StoredBytes(*store_, "v1", start + absl::Seconds(150), absl::InfiniteFuture()), tail);
}

TEST_F(StoreTest, ANodeBackAfterRetentionDeletedAllItsSnapshotsReadsBack) {
  testing::RealisticRun run("v1", 1);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::vector<std::string> written;
  auto put = [&](uint64_t seq) {
    SnapshotRecord r;
    r.snapshot = run.Next(seq, start);
    written.push_back(SnapshotBytes(r.snapshot));
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  };
  for (uint64_t seq = 1; seq <= 30; ++seq) put(seq);
  ASSERT_TRUE(store_->DeleteSnapshotsBefore(start + absl::Seconds(1000)).ok());
  EXPECT_TRUE(StoredBytes(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()).empty());
  for (uint64_t seq = 1001; seq <= 1040; ++seq) put(seq);
  std::vector<std::string> want(written.begin() + 30, written.end());
  EXPECT_EQ(StoredBytes(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()), want);
}

TEST_F(StoreTest, SnapshotsOutOfTimeOrderAndRepeatsReadBackWithoutBreakingTheChain) {
  testing::RealisticRun run("v1", 1);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::map<int64_t, std::string> expected;  // by taken time
  auto put = [&](Snapshot s) {
    expected[s.taken_unix_ms()] = SnapshotBytes(s);
    SnapshotRecord r;
    r.snapshot = std::move(s);
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  };
  std::vector<Snapshot> made;
  for (uint64_t seq = 1; seq <= 200; ++seq) made.push_back(run.Next(seq, start));
  for (int i = 0; i < 100; ++i) put(made[i]);
  put(made[50]);  // a replay of a stored one
  put(made[99]);  // the last one again
  for (int i = 100; i < 150; ++i) {
    Snapshot stepped_back = made[i];  // the agent's clock stepped back 30 s
    stepped_back.set_taken_unix_ms(made[i].taken_unix_ms() - 30'500);
    put(stepped_back);
  }
  for (int i = 150; i < 200; ++i) put(made[i]);
  std::vector<std::string> want;
  for (const auto& [taken, bytes] : expected) want.push_back(bytes);
  EXPECT_EQ(StoredBytes(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()), want);
}

// Inside one write batch too: a record repeating a key the batch wrote before it (the store
// notices repeats within a batch only once a record comes out of time order) is the same
// snapshot again and must not be rewritten whole over that chain value.
TEST_F(StoreTest, ARepeatInsideOneBatchLeavesTheChainWhole) {
  testing::RealisticRun run("v1", 1);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::vector<Snapshot> made;
  for (uint64_t seq = 1; seq <= 20; ++seq) made.push_back(run.Next(seq, start));
  std::map<int64_t, std::string> expected;  // by taken time
  std::vector<SnapshotRecord> batch;
  auto add = [&](const Snapshot& s) {
    expected[s.taken_unix_ms()] = SnapshotBytes(s);
    batch.push_back(SnapshotRecord{.snapshot = s});
  };
  for (int i = 0; i < 10; ++i) add(made[i]);
  add(made[4]);                      // a repeat of one written earlier in the batch
  add(made[9]);                      // the batch's last again
  Snapshot stepped_back = made[10];  // out of time order, a key not written yet
  stepped_back.set_taken_unix_ms(made[2].taken_unix_ms() - 1);
  add(stepped_back);
  add(made[3]);  // another repeat, after the out-of-order one
  ASSERT_TRUE(store_->PutSnapshots(batch).ok());
  batch.clear();
  for (int i = 11; i < 20; ++i) add(made[i]);
  ASSERT_TRUE(store_->PutSnapshots(batch).ok());
  std::vector<std::string> want;
  for (const auto& [taken, bytes] : expected) want.push_back(bytes);
  EXPECT_EQ(StoredBytes(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()), want);
  // Every one also reads back on its own (a history read from its time on).
  for (const auto& [taken, bytes] : expected) {
    std::vector<std::string> from =
        StoredBytes(*store_, "v1", absl::FromUnixMillis(taken), absl::FromUnixMillis(taken + 1));
    ASSERT_EQ(from.size(), 1u) << taken;
    EXPECT_EQ(from[0], bytes) << taken;
  }
}

// A store written by layout version 1 (whole serialized snapshots) still reads, takes new
// snapshots after its own, and is marked version 2 so that an older build refuses it.
TEST_F(StoreTest, AVersionOneStoreStillReadsAndGrowsInTheNewLayout) {
  testing::RealisticRun run("v1", 1);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::vector<Snapshot> made;
  std::vector<std::string> want;
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    made.push_back(run.Next(seq, start));
    want.push_back(SnapshotBytes(made.back()));
  }
  store_.reset();
  EditRaw(dir_, "snapshots", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    for (int i = 0; i < 100; ++i) {
      const Snapshot& s = made[i];
      ASSERT_TRUE(db->Put({}, cf, keys::SnapshotKey("v1", s.taken_unix_ms(), s.seq()),
                          s.SerializeAsString())
                      .ok());
    }
  });
  EditRaw(dir_, "meta", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db->Put({}, cf, keys::kStoreVersionKey, "1").ok());
  });
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_});
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = *std::move(s);
  for (int i = 100; i < 200; ++i) {
    SnapshotRecord r;
    r.snapshot = made[i];
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  }
  EXPECT_EQ(StoredBytes(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()), want);
  std::vector<std::string> tail(want.begin() + 90, want.begin() + 130);
  EXPECT_EQ(StoredBytes(*store_, "v1", start + absl::Seconds(91), start + absl::Seconds(131)),
            tail);
  store_.reset();
  std::string version;
  EditRaw(dir_, "meta", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db->Get({}, cf, keys::kStoreVersionKey, &version).ok());
  });
  EXPECT_EQ(version, std::to_string(Store::kVersion));
}

// Downsampled history: before the cutoff, the last snapshot of each minute, byte-identical;
// after it, every snapshot; a second call goes on from the first one's cutoff, and repeating a
// call changes nothing.
TEST_F(StoreTest, DownsamplingKeepsTheLastSnapshotOfEachMinuteByteIdentical) {
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);  // a whole minute
  std::vector<testing::RealisticRun> runs = {testing::RealisticRun("v1", 1),
                                             testing::RealisticRun("v2", 2)};
  std::vector<std::map<uint64_t, std::string>> written(2);  // by seq (second of the run)
  auto put = [&](uint64_t from, uint64_t to) {
    for (uint64_t seq = from; seq <= to; ++seq) {
      std::vector<SnapshotRecord> batch;
      for (int i = 0; i < 2; ++i) {
        SnapshotRecord r;
        r.snapshot = runs[i].Next(seq, start);
        written[i][seq] = SnapshotBytes(r.snapshot);
        batch.push_back(std::move(r));
      }
      ASSERT_TRUE(store_->PutSnapshots(batch).ok());
    }
  };
  // What reads back: before `cut` (seconds since start) the last second of every minute of
  // the run (seq 59, 119, ...); from `cut` on every second.
  auto expect = [&](int i, uint64_t cut) {
    std::vector<std::string> want;
    for (const auto& [seq, bytes] : written[i]) {
      if (seq >= cut || seq % 60 == 59) want.push_back(bytes);
    }
    return want;
  };
  put(1, 1000);
  ASSERT_TRUE(
      store_->DownsampleSnapshotsBefore(start + absl::Seconds(1000), absl::Minutes(1)).ok());
  put(1001, 1100);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(
        StoredBytes(*store_, i == 0 ? "v1" : "v2", absl::InfinitePast(), absl::InfiniteFuture()),
        expect(i, 960));
  }
  ASSERT_TRUE(
      store_->DownsampleSnapshotsBefore(start + absl::Seconds(1000), absl::Minutes(1)).ok());
  store_.reset();
  absl::StatusOr<std::unique_ptr<Store>> reopened = Store::Open({.dir = dir_});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = *std::move(reopened);
  put(1101, 1200);
  // A cutoff past the newest snapshot (1260 > 1200): 1200 is the last of its minute so far
  // and stays; what comes next starts a chain afresh and is kept whole.
  ASSERT_TRUE(
      store_->DownsampleSnapshotsBefore(start + absl::Seconds(1290), absl::Minutes(1)).ok());
  put(1201, 1300);
  ASSERT_TRUE(store_->Compact().ok());
  for (int i = 0; i < 2; ++i) {
    std::string node = i == 0 ? "v1" : "v2";
    std::vector<std::string> want = expect(i, 1200);
    EXPECT_EQ(StoredBytes(*store_, node, absl::InfinitePast(), absl::InfiniteFuture()), want);
    // A read starting anywhere: inside the downsampled stretch, at its end, after it.
    for (uint64_t from : {30ull, 61ull, 959ull, 960ull, 1000ull, 1199ull, 1201ull, 1261ull}) {
      std::vector<std::string> part;
      for (const auto& [seq, bytes] : written[i]) {
        if (seq >= from && seq < from + 120 && (seq >= 1200 || seq % 60 == 59)) {
          part.push_back(bytes);
        }
      }
      EXPECT_EQ(StoredBytes(*store_, node, start + absl::Seconds(from),
                            start + absl::Seconds(from + 120)),
                part)
          << node << " from " << from;
    }
  }
}

// A cutoff past a node's last snapshot: the writer's next snapshot must not build on one the
// downsampling may have dropped.
TEST_F(StoreTest, SnapshotsWrittenAfterDownsamplingToNowReadBack) {
  testing::RealisticRun run("v1", 1);
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  std::vector<std::string> want;
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    SnapshotRecord r;
    r.snapshot = run.Next(seq, start);
    if (seq % 60 == 59 || seq == 200) want.push_back(SnapshotBytes(r.snapshot));
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  }
  ASSERT_TRUE(store_->DownsampleSnapshotsBefore(start + absl::Seconds(240), absl::Minutes(1)).ok());
  for (uint64_t seq = 201; seq <= 300; ++seq) {
    SnapshotRecord r;
    r.snapshot = run.Next(seq, start);
    want.push_back(SnapshotBytes(r.snapshot));
    ASSERT_TRUE(store_->PutSnapshots({r}).ok());
  }
  EXPECT_EQ(StoredBytes(*store_, "v1", absl::InfinitePast(), absl::InfiniteFuture()), want);
}

TEST_F(StoreTest, ADamagedDownsamplingWatermarkIsDataLoss) {
  ASSERT_TRUE(store_->PutSnapshots({Record("v1", 1, 1'800'000'000'000)}).ok());
  store_.reset();
  EditRaw(dir_, "meta", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db->Put({}, cf, keys::kDownsampledBeforeKey, "abc").ok());
  });
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_});
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = *std::move(s);
  EXPECT_EQ(store_->DownsampledBefore().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      store_->DownsampleSnapshotsBefore(absl::FromUnixSeconds(1'900'000'000), absl::Minutes(1))
          .code(),
      absl::StatusCode::kDataLoss);
}

TEST_F(StoreTest, StoreOfANewerLayoutIsRefused) {
  store_.reset();
  {
    rocksdb::Options options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, dir_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, cfs, &handles, &db).ok());
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(db->Put({}, handles[i], keys::kStoreVersionKey, "99").ok());
      }
    }
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
}

// The memtable budget reaches RocksDB: the options RocksDB persisted with the store (its
// OPTIONS file) carry it, and the column families' memtables are the documented parts of it.
TEST_F(StoreTest, TheMemtableBudgetIsWhatRocksDbRunsWith) {
  store_.reset();
  for (uint64_t budget : {StoreOptions::kDefaultMemtableBytes, uint64_t{12} << 20}) {
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_, .memtable_bytes = budget});
    ASSERT_TRUE(s.ok()) << s.status();
    s->reset();
    rocksdb::DBOptions db_options;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    rocksdb::ConfigOptions config;
    ASSERT_TRUE(rocksdb::LoadLatestOptions(config, dir_, &db_options, &cfs).ok());
    EXPECT_EQ(db_options.db_write_buffer_size, budget);
    std::map<std::string, size_t> cf_buffer;
    for (const auto& cf : cfs) {
      cf_buffer[cf.name] = cf.options.write_buffer_size;
      // A compaction holds at most this much of an output file to sample its dictionary.
      if (cf.name == "snapshots") {
        EXPECT_EQ(cf.options.bottommost_compression_opts.max_dict_buffer_bytes, 8u << 20);
      }
    }
    EXPECT_EQ(cf_buffer["snapshots"], budget / 3 * 2);
    EXPECT_EQ(cf_buffer["latest"], budget / 6);
  }
  EXPECT_EQ(StoreOptions::kDefaultMemtableBytes, uint64_t{32} << 20);
}

TEST_F(StoreTest, AMemtableBudgetOutOfBoundsIsRefused) {
  store_.reset();
  for (uint64_t budget :
       {uint64_t{0}, StoreOptions::kMinMemtableBytes - 1, StoreOptions::kMaxMemtableBytes + 1}) {
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open({.dir = dir_, .memtable_bytes = budget});
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << budget;
  }
  EXPECT_TRUE(Store::Open({.dir = dir_, .memtable_bytes = StoreOptions::kMinMemtableBytes}).ok());
}

}  // namespace
}  // namespace guts::collector
