#include "collector/store/store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "collector/store/keys.h"
#include "rocksdb/db.h"

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

}  // namespace
}  // namespace guts::collector
