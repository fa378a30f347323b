#include "collector/bundles/bundle_desk.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/bundle/collector/memory_bundle_storage.h"

namespace guts::collector {
namespace {
namespace v1 = ::guts::diag::v1;

struct Fleet {
  std::set<std::string> connected;
  std::vector<std::pair<std::string, v1::Command>> sent;
  std::mutex mu;
};

std::unique_ptr<BundleDesk> MakeDesk(testing::MemoryBundleStorage* storage, Fleet* fleet,
                                     std::vector<std::string> nodes) {
  BundleDeskOptions opts;
  opts.start_ticker = false;
  auto desk = BundleDesk::Create(
      storage,
      [fleet](const std::string& node, const v1::Command& cmd) {
        std::lock_guard<std::mutex> lock(fleet->mu);
        if (!fleet->connected.count(node)) return false;
        fleet->sent.emplace_back(node, cmd);
        return true;
      },
      [nodes] { return nodes; }, opts);
  EXPECT_TRUE(desk.ok());
  return std::move(*desk);
}

TEST(BundleDesk, OfflineNodeIsPendingThenSentWhenItReconnects) {
  testing::MemoryBundleStorage storage;
  Fleet fleet;
  auto desk = MakeDesk(&storage, &fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  std::vector<v1::CollectProgress> seen;
  ASSERT_TRUE(desk->Collect(
                      req, "op",
                      [&](const v1::CollectProgress& p) {
                        seen.push_back(p);
                        return true;
                      },
                      nullptr)
                  .ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().bundle().state(), v1::BUNDLE_PENDING);
  EXPECT_NE(seen.back().message().find("queued until it reconnects"), std::string::npos);
  EXPECT_TRUE(fleet.sent.empty());

  fleet.connected.insert("v1");
  desk->OnNodeConnected("v1");
  ASSERT_EQ(fleet.sent.size(), 1u);
  EXPECT_EQ(fleet.sent[0].second.bundle().bundle_id(), seen.back().bundle().id());
  EXPECT_EQ(desk->List({}).bundles(0).state(), v1::BUNDLE_RUNNING);
}

TEST(BundleDesk, PendingRequestExpiresAndIsNotSentLater) {
  testing::MemoryBundleStorage storage;
  Fleet fleet;
  auto desk = MakeDesk(&storage, &fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  req.set_pending_expiry_ms(1000);
  ASSERT_TRUE(desk->Collect(
                      req, "op", [](const v1::CollectProgress&) { return true; }, nullptr)
                  .ok());
  desk->Tick(absl::Now() + absl::Seconds(2));
  EXPECT_EQ(desk->List({}).bundles(0).state(), v1::BUNDLE_EXPIRED);
  fleet.connected.insert("v1");
  desk->OnNodeConnected("v1");
  EXPECT_TRUE(fleet.sent.empty());
}

TEST(BundleDesk, PendingRequestsAreBoundedPerNode) {
  testing::MemoryBundleStorage storage;
  Fleet fleet;
  auto desk = MakeDesk(&storage, &fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  v1::CollectProgress last;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(desk->Collect(
                        req, "op",
                        [&](const v1::CollectProgress& p) {
                          last = p;
                          return true;
                        },
                        nullptr)
                    .ok());
  }
  EXPECT_EQ(last.bundle().state(), v1::BUNDLE_FAILED);
  EXPECT_NE(last.bundle().error().find("too many pending"), std::string::npos);
}

TEST(BundleDesk, AgentFailureReportEndsTheCollectAsFailed) {
  testing::MemoryBundleStorage storage;
  Fleet fleet;
  fleet.connected.insert("v2");
  auto desk = MakeDesk(&storage, &fleet, {"v2"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v2");
  std::vector<v1::CollectProgress> seen;
  std::thread agent([&] {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(fleet.mu);
        if (!fleet.sent.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    v1::CommandStatus st;
    st.set_command_id(fleet.sent[0].second.id());
    st.set_state(v1::CommandStatus::REJECTED);
    st.set_message("bundle x is being collected; retry later");
    desk->OnCommandStatus("v2", st);
  });
  ASSERT_TRUE(desk->Collect(
                      req, "op",
                      [&](const v1::CollectProgress& p) {
                        seen.push_back(p);
                        return true;
                      },
                      nullptr)
                  .ok());
  agent.join();
  EXPECT_EQ(seen.back().bundle().state(), v1::BUNDLE_FAILED);
  EXPECT_EQ(seen.back().bundle().error(), "bundle x is being collected; retry later");
}

TEST(BundleDesk, StatusFromAnotherNodeIsIgnored) {
  testing::MemoryBundleStorage storage;
  Fleet fleet;
  fleet.connected.insert("v1");
  auto desk = MakeDesk(&storage, &fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  req.set_timeout_ms(50);
  ASSERT_TRUE(desk->Collect(
                      req, "op", [](const v1::CollectProgress&) { return true; }, nullptr)
                  .ok());
  v1::CommandStatus st;
  st.set_command_id(fleet.sent[0].second.id());
  st.set_state(v1::CommandStatus::FAILED);
  desk->OnCommandStatus("v9", st);
  EXPECT_EQ(desk->List({}).bundles(0).state(), v1::BUNDLE_RUNNING);
}

TEST(BundleDesk, BadRequestsAreClearErrors) {
  testing::MemoryBundleStorage storage;
  Fleet fleet;
  auto desk = MakeDesk(&storage, &fleet, {});
  v1::CollectBundleRequest req;
  auto emit = [](const v1::CollectProgress&) { return true; };
  EXPECT_EQ(desk->Collect(req, "op", emit, nullptr).code(), absl::StatusCode::kInvalidArgument);
  req.add_node_ids("../v1");
  EXPECT_EQ(desk->Collect(req, "op", emit, nullptr).code(), absl::StatusCode::kInvalidArgument);
  v1::DownloadBundleRequest dl;
  dl.set_bundle_id("nope");
  EXPECT_EQ(desk->Download(dl, [](const v1::BundleData&) { return true; }).code(),
            absl::StatusCode::kNotFound);
}

TEST(BundleDesk, RetentionDeletesOldBundles) {
  testing::MemoryBundleStorage storage;
  Fleet fleet;
  auto desk = MakeDesk(&storage, &fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  ASSERT_TRUE(desk->Collect(
                      req, "op", [](const v1::CollectProgress&) { return true; }, nullptr)
                  .ok());
  desk->Tick(absl::Now() + absl::Hours(169));
  EXPECT_EQ(desk->List({}).bundles_size(), 0);
  EXPECT_TRUE(storage.AllBundles()->empty());
}

}  // namespace
}  // namespace guts::collector
