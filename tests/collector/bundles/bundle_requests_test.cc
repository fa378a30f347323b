#include "collector/bundles/bundle_requests.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/collector/bundles/memory_bundle_storage.h"

namespace guts::collector {
namespace {
namespace v1 = ::guts::diag::v1;

struct Fleet {
  std::set<std::string> connected;
  std::vector<std::pair<std::string, v1::Command>> sent;
  std::mutex mu;
};

// The request queue on a catalog in memory; `fleet` plays the agents' command streams.
struct Fixture {
  Fixture(Fleet* fleet, std::vector<std::string> nodes)
      : catalog(*BundleCatalog::Load(&storage, absl::Hours(168))),
        requests(
            catalog.get(),
            [fleet](const std::string& node, const v1::Command& cmd) {
              std::lock_guard<std::mutex> lock(fleet->mu);
              if (!fleet->connected.count(node)) return false;
              fleet->sent.emplace_back(node, cmd);
              return true;
            },
            [nodes] { return nodes; }, {}) {}

  testing::MemoryBundleStorage storage;
  std::unique_ptr<BundleCatalog> catalog;
  BundleRequests requests;
};

TEST(BundleRequests, OfflineNodeIsPendingThenSentWhenItReconnects) {
  Fleet fleet;
  Fixture f(&fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  std::vector<v1::CollectProgress> seen;
  ASSERT_TRUE(f.requests
                  .Collect(
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
  f.requests.OnNodeConnected("v1");
  ASSERT_EQ(fleet.sent.size(), 1u);
  EXPECT_EQ(fleet.sent[0].second.bundle().bundle_id(), seen.back().bundle().id());
  EXPECT_EQ(f.catalog->List({}).bundles(0).state(), v1::BUNDLE_RUNNING);
}

TEST(BundleRequests, PendingRequestExpiresAndIsNotSentLater) {
  Fleet fleet;
  Fixture f(&fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  req.set_pending_expiry_ms(1000);
  ASSERT_TRUE(f.requests
                  .Collect(
                      req, "op", [](const v1::CollectProgress&) { return true; }, nullptr)
                  .ok());
  f.requests.ExpirePending(absl::Now() + absl::Seconds(2));
  EXPECT_EQ(f.catalog->List({}).bundles(0).state(), v1::BUNDLE_EXPIRED);
  fleet.connected.insert("v1");
  f.requests.OnNodeConnected("v1");
  EXPECT_TRUE(fleet.sent.empty());
}

TEST(BundleRequests, PendingRequestsAreBoundedPerNode) {
  Fleet fleet;
  Fixture f(&fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  v1::CollectProgress last;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(f.requests
                    .Collect(
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

TEST(BundleRequests, AgentFailureReportEndsTheCollectAsFailed) {
  Fleet fleet;
  fleet.connected.insert("v2");
  Fixture f(&fleet, {"v2"});
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
    f.requests.OnCommandStatus("v2", st);
  });
  ASSERT_TRUE(f.requests
                  .Collect(
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

TEST(BundleRequests, StatusFromAnotherNodeIsIgnored) {
  Fleet fleet;
  fleet.connected.insert("v1");
  Fixture f(&fleet, {"v1"});
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  req.set_timeout_ms(50);
  ASSERT_TRUE(f.requests
                  .Collect(
                      req, "op", [](const v1::CollectProgress&) { return true; }, nullptr)
                  .ok());
  v1::CommandStatus st;
  st.set_command_id(fleet.sent[0].second.id());
  st.set_state(v1::CommandStatus::FAILED);
  f.requests.OnCommandStatus("v9", st);
  EXPECT_EQ(f.catalog->List({}).bundles(0).state(), v1::BUNDLE_RUNNING);
}

TEST(BundleRequests, BadRequestsAreClearErrors) {
  Fleet fleet;
  Fixture f(&fleet, {});
  v1::CollectBundleRequest req;
  auto emit = [](const v1::CollectProgress&) { return true; };
  EXPECT_EQ(f.requests.Collect(req, "op", emit, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  req.add_node_ids("../v1");
  EXPECT_EQ(f.requests.Collect(req, "op", emit, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace guts::collector
