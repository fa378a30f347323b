#include "agent/sources/node_api_source.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/http_server.h"
#include "gtest/gtest.h"
#include "tests/agent/fixture.h"

namespace guts::agent {
namespace {

HttpResponse Json(const std::string& fixture, int status = 200) {
  return HttpResponse{status, "application/json", testing::ReadFixture(fixture)};
}

// A node on 127.0.81.1 answering with recorded bodies; `status_fixture` picks API or Simplex mode.
class FakeNode {
 public:
  explicit FakeNode(const std::string& status_fixture, bool broken_validators = false) {
    http_.Get("/health", [] { return Json("health.json"); });
    http_.Get("/health/live", [] { return Json("health_live.json"); });
    http_.Get("/health/ready", [] { return Json("health_ready.json", 503); });
    http_.Get("/health/startup", [] { return Json("health_startup.json"); });
    http_.Get("/api/consensus/status", [status_fixture] { return Json(status_fixture); });
    http_.Get("/api/consensus/validators", [broken_validators] {
      return broken_validators ? HttpResponse{200, "application/json", "{\"epoch\": 1, \"valid"}
                               : Json("validators.json");
    });
    http_.Get("/api/consensus/mempool", [] { return Json("mempool.json"); });
    EXPECT_TRUE(http_.Start("127.0.81.1", 0).ok());
  }
  std::string url() const { return absl::StrCat("http://127.0.81.1:", http_.port()); }

 private:
  HttpServer http_;
};

TEST(NodeApiSourceTest, ApiModeFillsHealthConsensusValidatorsAndMempool) {
  FakeNode node("consensus_status_api.json");
  auto validators = std::make_shared<KnownValidators>();
  NodeApiSource source(node.url(), validators);
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(2), part);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(part.health().reachable());
  EXPECT_EQ(part.health().http_status(), 200u);
  EXPECT_EQ(part.health().status(), "up");
  EXPECT_EQ(part.health().uptime_seconds(), 3712u);
  EXPECT_EQ(part.health().checks().at("p2p").status(), "unknown");
  EXPECT_EQ(part.health().checks().at("storage").latency_ms(), 1u);
  EXPECT_EQ(part.health().ready_http_status(), 503u);
  EXPECT_EQ(part.health().live_http_status(), 200u);
  EXPECT_TRUE(part.consensus().api_enabled());
  EXPECT_EQ(part.consensus().state(), "Active");
  EXPECT_EQ(part.consensus().view(), 1834u);
  EXPECT_EQ(part.consensus().finalized_height(), 1790u);
  EXPECT_EQ(part.consensus().height_source(), v1::HEIGHT_SOURCE_API);
  EXPECT_EQ(part.consensus().pending_transactions(), 3u);
  EXPECT_EQ(part.consensus().mempool_transaction_count(), 12u);
  EXPECT_DOUBLE_EQ(part.consensus().mempool_oldest_age_secs(), 4.5);
  EXPECT_EQ(part.validators().quorum_weight(), 267u);
  ASSERT_EQ(part.validators().validators_size(), 4);
  EXPECT_EQ(part.validators().validators(1).addr(), "127.0.0.12:9000");
  EXPECT_FALSE(part.validators().validators(3).active());
  ASSERT_EQ(validators->Get().size(), 4u);
  EXPECT_EQ(validators->Get()[2].name, "v3");
}

TEST(NodeApiSourceTest, SimplexModeReportsApiDisabledAndNoHeight) {
  FakeNode node("consensus_status_simplex.json");
  NodeApiSource source(node.url(), std::make_shared<KnownValidators>());
  v1::Snapshot part;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(2), part).ok());
  EXPECT_FALSE(part.consensus().api_enabled());
  EXPECT_EQ(part.consensus().state(), "Disabled");
  EXPECT_TRUE(part.consensus().current_leader().empty());
  EXPECT_EQ(part.consensus().finalized_height(), 0u);
  EXPECT_EQ(part.consensus().height_source(), v1::HEIGHT_SOURCE_UNSPECIFIED);
}

TEST(NodeApiSourceTest, MalformedJsonIsAnErrorNamingTheUrlAndKeepsTheRest) {
  FakeNode node("consensus_status_api.json", /*broken_validators=*/true);
  NodeApiSource source(node.url(), std::make_shared<KnownValidators>());
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(2), part);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/api/consensus/validators"), std::string::npos) << s;
  EXPECT_NE(s.message().find("not a JSON object"), std::string::npos) << s;
  EXPECT_EQ(part.consensus().view(), 1834u);
  EXPECT_EQ(part.health().status(), "up");
}

TEST(NodeApiSourceTest, UnreachableNodeIsAnErrorAndHealthUnreachable) {
  NodeApiSource source("http://127.0.81.2:1", std::make_shared<KnownValidators>());
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(2), part);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("GET http://127.0.81.2:1/health"), std::string::npos) << s;
  EXPECT_TRUE(part.has_health());
  EXPECT_FALSE(part.health().reachable());
}

TEST(NodeApiSourceTest, MissingFieldIsNamed) {
  HttpServer http;
  http.Get("/health", [] { return HttpResponse{200, "application/json", R"({"version":"1"})"}; });
  ASSERT_TRUE(http.Start("127.0.81.3", 0).ok());
  NodeApiSource source(absl::StrCat("http://127.0.81.3:", http.port()),
                       std::make_shared<KnownValidators>());
  v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(2), part);
  EXPECT_NE(s.message().find("field 'status' missing"), std::string::npos) << s;
}

// A node whose /health status and uptime and /health/ready status the test sets, counting the
// GETs of /health/{live,ready,startup}.
class SteerableNode {
 public:
  explicit SteerableNode(int port = 0) {
    http_.Get("/health", [this] {
      return HttpResponse{health_status_.load(), "application/json",
                          absl::StrCat(R"({"status":"up","uptime_seconds":)", uptime_.load(), "}")};
    });
    for (const char* path : {"/health/live", "/health/ready", "/health/startup"}) {
      http_.Get(path, [this, path] {
        ++probe_gets_;
        return HttpResponse{std::string(path) == "/health/ready" ? ready_status_.load() : 200,
                            "application/json", R"({"status":"up"})"};
      });
    }
    EXPECT_TRUE(http_.Start("127.0.81.5", port).ok());
  }
  std::string url() const { return absl::StrCat("http://127.0.81.5:", http_.port()); }
  int port() const { return http_.port(); }

  std::atomic<int> health_status_{200};
  std::atomic<int> ready_status_{503};
  std::atomic<uint64_t> uptime_{100};
  std::atomic<int> probe_gets_{0};

 private:
  HttpServer http_;
};

// Asks `source` for one snapshot; returns its health.
v1::NodeHealth CollectHealth(NodeApiSource& source) {
  v1::Snapshot part;
  // The consensus endpoints are absent (404 is not JSON): an error, beside the point here.
  (void)source.Collect(absl::Now() + absl::Seconds(2), part);
  return part.health();
}

TEST(NodeApiSourceTest, HealthProbesAreAskedEveryNthSnapshotAndCarriedForward) {
  SteerableNode node;
  NodeApiSource source(node.url(), std::make_shared<KnownValidators>());
  v1::NodeHealth first = CollectHealth(source);
  EXPECT_EQ(first.ready_http_status(), 503u);
  EXPECT_EQ(first.live_http_status(), 200u);
  EXPECT_EQ(first.startup_http_status(), 200u);
  EXPECT_EQ(node.probe_gets_.load(), 3);
  EXPECT_EQ(source.health_probes_polled(), 1u);

  // /health/ready alone turns 200: the last answers are carried forward until the probes are due.
  node.ready_status_ = 200;
  for (int i = 1; i < NodeApiSource::kHealthProbesEvery; ++i) {
    node.uptime_ += 1;
    v1::NodeHealth carried = CollectHealth(source);
    EXPECT_EQ(carried.ready_http_status(), 503u) << "snapshot " << i + 1;
    EXPECT_EQ(carried.live_http_status(), 200u);
    EXPECT_EQ(carried.startup_http_status(), 200u);
    EXPECT_EQ(carried.uptime_seconds(), 100u + static_cast<uint64_t>(i));  // /health: every time
  }
  EXPECT_EQ(node.probe_gets_.load(), 3);
  v1::NodeHealth due = CollectHealth(source);
  EXPECT_EQ(due.ready_http_status(), 200u);
  EXPECT_EQ(node.probe_gets_.load(), 6);
  EXPECT_EQ(source.health_probes_polled(), 2u);
}

TEST(NodeApiSourceTest, HealthProbesAreAskedAtOnceWhenHealthMoves) {
  SteerableNode node;
  NodeApiSource source(node.url(), std::make_shared<KnownValidators>());
  CollectHealth(source);
  CollectHealth(source);
  ASSERT_EQ(source.health_probes_polled(), 1u);

  // /health turns 503: the probes are asked in the same snapshot.
  node.health_status_ = 503;
  node.ready_status_ = 503;
  v1::NodeHealth not_ready = CollectHealth(source);
  EXPECT_EQ(not_ready.http_status(), 503u);
  EXPECT_EQ(not_ready.ready_http_status(), 503u);
  EXPECT_EQ(source.health_probes_polled(), 2u);

  // And back to 200.
  node.health_status_ = 200;
  node.ready_status_ = 200;
  EXPECT_EQ(CollectHealth(source).ready_http_status(), 200u);
  EXPECT_EQ(source.health_probes_polled(), 3u);

  // Unchanged: not asked.
  CollectHealth(source);
  EXPECT_EQ(source.health_probes_polled(), 3u);

  // A restart (uptime went down) with /health unchanged otherwise: asked at once.
  node.uptime_ = 5;
  node.ready_status_ = 503;
  EXPECT_EQ(CollectHealth(source).ready_http_status(), 503u);
  EXPECT_EQ(source.health_probes_polled(), 4u);
}

TEST(NodeApiSourceTest, HealthProbesAreAskedWhenTheNodeComesBack) {
  auto node = std::make_unique<SteerableNode>();
  const int port = node->port();
  NodeApiSource source(node->url(), std::make_shared<KnownValidators>());
  CollectHealth(source);
  ASSERT_EQ(source.health_probes_polled(), 1u);
  // The node goes away: /health does not answer, nothing is asked.
  node.reset();
  EXPECT_FALSE(CollectHealth(source).reachable());
  EXPECT_EQ(source.health_probes_polled(), 1u);
  // It comes back on the same port answering /health exactly as before, ready now: the probes
  // are asked at once rather than carried over the outage.
  node = std::make_unique<SteerableNode>(port);
  node->ready_status_ = 200;
  v1::NodeHealth back = CollectHealth(source);
  EXPECT_TRUE(back.reachable());
  EXPECT_EQ(back.ready_http_status(), 200u);
  EXPECT_EQ(source.health_probes_polled(), 2u);
}

}  // namespace
}  // namespace guts::agent
