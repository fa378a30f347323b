#include "collector/bundles/bundle_catalog.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/collector/bundles/memory_bundle_storage.h"

namespace guts::collector {
namespace {
namespace v1 = ::guts::diag::v1;

BundleRecord RecordOf(const std::string& id, const std::string& node, absl::Time requested,
                      v1::BundleState state = v1::BUNDLE_PENDING) {
  BundleRecord r;
  r.info.set_id(id);
  r.info.set_node_id(node);
  r.info.set_requested_unix_ms(absl::ToUnixMillis(requested));
  r.info.set_state(state);
  return r;
}

// A complete bundle of `bytes` stored under `id`.
void AddComplete(BundleCatalog& catalog, const std::string& id, const std::string& bytes) {
  catalog.Add(RecordOf(id, "v1", absl::Now(), v1::BUNDLE_UPLOADING));
  ASSERT_TRUE(catalog.AppendData(id, 0, bytes).ok());
  catalog.Update(id, [&](BundleRecord& r) {
    r.info.set_state(v1::BUNDLE_COMPLETE);
    r.info.set_size_bytes(bytes.size());
    return true;
  });
}

std::string DownloadAll(const BundleCatalog& catalog, const std::string& id, uint64_t offset,
                        absl::Status* status, size_t* messages = nullptr) {
  v1::DownloadBundleRequest req;
  req.set_bundle_id(id);
  req.set_offset(offset);
  std::string data;
  size_t n = 0;
  *status = catalog.Download(req, [&](const v1::BundleData& d) {
    EXPECT_EQ(d.offset(), offset + data.size());
    EXPECT_EQ(d.has_info(), n == 0);
    data += d.data();
    ++n;
    return true;
  });
  if (messages != nullptr) *messages = n;
  return data;
}

TEST(BundleCatalog, RetentionDeletesOldBundlesAndKeepsRecentOnes) {
  testing::MemoryBundleStorage storage;
  auto catalog = *BundleCatalog::Load(&storage, absl::Hours(168));
  const absl::Time now = absl::Now();
  catalog->Add(RecordOf("old", "v1", now - absl::Hours(169)));
  catalog->Add(RecordOf("new", "v1", now - absl::Hours(1)));
  catalog->ApplyRetention(now);
  v1::BundleList list = catalog->List({});
  ASSERT_EQ(list.bundles_size(), 1);
  EXPECT_EQ(list.bundles(0).id(), "new");
  ASSERT_EQ(storage.AllBundles()->size(), 1u);
  EXPECT_EQ(storage.AllBundles()->at(0).id(), "new");
  // No chunk is stored for a bundle retention removed.
  EXPECT_EQ(catalog->AppendData("old", 0, "late").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(storage.Data("old"), "");
}

TEST(BundleCatalog, ListIsNewestFirstPerNodeAndBounded) {
  testing::MemoryBundleStorage storage;
  auto catalog = *BundleCatalog::Load(&storage, absl::Hours(168));
  const absl::Time now = absl::Now();
  catalog->Add(RecordOf("a", "v1", now - absl::Minutes(3)));
  catalog->Add(RecordOf("b", "v2", now - absl::Minutes(2)));
  catalog->Add(RecordOf("c", "v1", now - absl::Minutes(1)));
  v1::ListBundlesRequest req;
  v1::BundleList all = catalog->List(req);
  ASSERT_EQ(all.bundles_size(), 3);
  EXPECT_EQ(all.bundles(0).id(), "c");
  EXPECT_EQ(all.bundles(2).id(), "a");
  req.set_node_id("v1");
  req.set_limit(1);
  v1::BundleList one = catalog->List(req);
  ASSERT_EQ(one.bundles_size(), 1);
  EXPECT_EQ(one.bundles(0).id(), "c");
}

TEST(BundleCatalog, StoredBundlesAreListedAfterAReload) {
  testing::MemoryBundleStorage storage;
  {
    auto catalog = *BundleCatalog::Load(&storage, absl::Hours(168));
    catalog->Add(RecordOf("kept", "v1", absl::Now()));
    catalog->Update("kept", [](BundleRecord& r) {
      r.info.set_state(v1::BUNDLE_FAILED);
      r.message = "in memory only";
      return true;
    });
  }
  auto reloaded = *BundleCatalog::Load(&storage, absl::Hours(168));
  std::optional<BundleRecord> r = reloaded->Find("kept");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->info.state(), v1::BUNDLE_FAILED);
  EXPECT_EQ(r->message, "");
}

TEST(BundleCatalog, DownloadServesChunksFromAnOffsetAndRefusesWhatIsNotComplete) {
  testing::MemoryBundleStorage storage;
  auto catalog = *BundleCatalog::Load(&storage, absl::Hours(168));
  std::string bytes(kBundleChunkBytes + 100, 'x');
  bytes[kBundleChunkBytes] = 'y';
  AddComplete(*catalog, "done", bytes);
  absl::Status status;
  size_t messages = 0;
  EXPECT_EQ(DownloadAll(*catalog, "done", 0, &status, &messages), bytes);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(messages, 2u);
  EXPECT_EQ(DownloadAll(*catalog, "done", kBundleChunkBytes, &status),
            bytes.substr(kBundleChunkBytes));
  EXPECT_TRUE(status.ok()) << status;

  DownloadAll(*catalog, "done", bytes.size() + 1, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  DownloadAll(*catalog, "nope", 0, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  catalog->Add(RecordOf("running", "v1", absl::Now(), v1::BUNDLE_RUNNING));
  DownloadAll(*catalog, "running", 0, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(BundleCatalog, WaitForChangeReturnsOnAnUpdate) {
  testing::MemoryBundleStorage storage;
  auto catalog = *BundleCatalog::Load(&storage, absl::Hours(168));
  catalog->Add(RecordOf("b", "v1", absl::Now()));
  const uint64_t seen = catalog->Changes();
  std::thread agent([&] {
    catalog->Update("b", [](BundleRecord& r) {
      r.info.set_state(v1::BUNDLE_RUNNING);
      return true;
    });
  });
  const absl::Time start = absl::Now();
  catalog->WaitForChange(seen, absl::Seconds(30));
  agent.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_EQ(catalog->Find("b")->revision, 2u);
  EXPECT_FALSE(catalog->Update("b", [](BundleRecord&) { return false; }));
  EXPECT_EQ(catalog->Find("b")->revision, 2u);
}

}  // namespace
}  // namespace guts::collector
