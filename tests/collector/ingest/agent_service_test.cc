// The collector in-process on loopback port 0: agents' streams, acks, bad input, queries.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "collector/collector.h"
#include "guts/diag/v1/agent.grpc.pb.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "httplib.h"
#include "tests/support/wait_until.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using Stream = grpc::ClientReaderWriter<v1::AgentMessage, v1::CollectorMessage>;

v1::AgentMessage HelloOf(const std::string& node) {
  v1::AgentMessage m;
  m.mutable_hello()->set_node_id(node);
  m.mutable_hello()->set_agent_version("test");
  m.mutable_hello()->set_role("validator");
  return m;
}

v1::AgentMessage SnapshotOf(const std::string& node, uint64_t seq, absl::Time taken = absl::Now()) {
  v1::AgentMessage m;
  v1::Snapshot* s = m.mutable_snapshot();
  s->set_node_id(node);
  s->set_seq(seq);
  s->set_taken_unix_ms(absl::ToUnixMillis(taken));
  // Every 10 s: a test that checks the node's state a few seconds after its last snapshot (a
  // busy machine) still finds it within its interval, not silent.
  s->set_interval_ms(10000);
  s->mutable_consensus()->set_finalized_height(1000 + seq);
  // A node that is up: its API answered the agent. Without it the snapshot says "API
  // unreachable, no peer heard", which the analysis' first tick judges NODE_DOWN.
  s->mutable_health()->set_reachable(true);
  s->mutable_health()->set_http_status(200);
  s->mutable_health()->set_status("up");
  return m;
}

// How long the analysis may take to judge a node that just reported: a tick of 1 s, on a
// machine busy with other builds.
constexpr absl::Duration kJudgedWithin = absl::Seconds(30);

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  // Starts a collector on a fresh data dir.
  void Start(const CollectorConfig& config) {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("guts-ingest-test-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Open(config);
  }

  // Stops the collector and starts a new one on the same data dir.
  void Restart(const CollectorConfig& config) {
    collector_.reset();
    Open(config);
  }

  void Open(CollectorConfig config) {
    config.grpc_addr = "127.0.0.1:0";
    config.http_addr = "127.0.0.1:0";
    config.data_dir = dir_ + "/db";
    if (config.tls.cert_file.empty()) config.tls.insecure = true;
    absl::StatusOr<std::unique_ptr<Collector>> c = Collector::Start(config);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = *std::move(c);
    auto channel =
        grpc::CreateChannel(collector_->grpc_address(), grpc::InsecureChannelCredentials());
    agents_ = v1::AgentService::NewStub(channel);
    fleet_ = v1::FleetService::NewStub(channel);
  }

  void TearDown() override {
    collector_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens a stream, says hello and returns the HelloAck's last stored seq.
  std::unique_ptr<Stream> Connect(grpc::ClientContext* ctx, const std::string& node,
                                  uint64_t* last_stored = nullptr) {
    auto stream = agents_->Connect(ctx);
    EXPECT_TRUE(stream->Write(HelloOf(node)));
    v1::CollectorMessage m;
    EXPECT_TRUE(stream->Read(&m));
    EXPECT_TRUE(m.has_hello_ack());
    if (last_stored != nullptr) *last_stored = m.hello_ack().last_stored_seq();
    return stream;
  }

  // Stores seqs first..last of `node` on one stream, acked, then closes the stream.
  void StoreAndClose(const std::string& node, uint64_t first, uint64_t last) {
    grpc::ClientContext ctx;
    auto stream = Connect(&ctx, node);
    for (uint64_t seq = first; seq <= last; ++seq)
      ASSERT_TRUE(stream->Write(SnapshotOf(node, seq)));
    ASSERT_TRUE(AwaitAck(stream.get(), last));
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }

  // Reads acks until one covers `seq`; false if the stream ends first.
  static bool AwaitAck(Stream* stream, uint64_t seq) {
    v1::CollectorMessage m;
    while (stream->Read(&m)) {
      if (m.has_ack() && m.ack().seq() >= seq) return true;
    }
    return false;
  }

  // Sends `messages` on a fresh stream and returns how the collector ended it.
  grpc::Status StatusAfter(const std::vector<v1::AgentMessage>& messages) {
    grpc::ClientContext ctx;
    auto stream = agents_->Connect(&ctx);
    for (const auto& m : messages) {
      if (!stream->Write(m)) break;
    }
    v1::CollectorMessage in;
    while (stream->Read(&in)) {
    }
    return stream->Finish();
  }

  std::vector<v1::HistoryPoint> History(v1::NodeHistoryRequest request, grpc::Status* status) {
    grpc::ClientContext ctx;
    auto reader = fleet_->GetNodeHistory(&ctx, request);
    std::vector<v1::HistoryPoint> points;
    v1::HistoryPoint p;
    while (reader->Read(&p)) points.push_back(p);
    *status = reader->Finish();
    return points;
  }

  std::string dir_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<v1::AgentService::Stub> agents_;
  std::unique_ptr<v1::FleetService::Stub> fleet_;
};

TEST_F(IngestTest, SnapshotsAreAckedAfterTheWriteAndShowInFleetStatus) {
  grpc::ClientContext ctx;
  uint64_t last = 99;
  auto stream = Connect(&ctx, "v1", &last);
  EXPECT_EQ(last, 0u);
  for (uint64_t seq = 1; seq <= 5; ++seq) ASSERT_TRUE(stream->Write(SnapshotOf("v1", seq)));
  ASSERT_TRUE(AwaitAck(stream.get(), 5));

  // The analysis judges the node at its next tick: until then a result from before the
  // snapshot may still say UNKNOWN ("no snapshot yet"). The first judged answer must be right.
  v1::FleetStatus status;
  ASSERT_TRUE(guts::testing::WaitUntil(
      [&] {
        grpc::ClientContext q;
        status.Clear();
        EXPECT_TRUE(fleet_->GetFleetStatus(&q, {}, &status).ok());
        return status.nodes_size() == 1 && status.nodes(0).state() != v1::UNKNOWN;
      },
      kJudgedWithin))
      << status.DebugString();
  ASSERT_EQ(status.nodes_size(), 1);
  EXPECT_EQ(status.nodes(0).node_id(), "v1");
  EXPECT_EQ(status.nodes(0).last_seq(), 5u);
  EXPECT_EQ(status.nodes(0).height(), 1005u);
  EXPECT_TRUE(status.nodes(0).connected());
  EXPECT_EQ(status.nodes(0).state(), v1::HEALTHY);
  EXPECT_EQ(status.collector().streams_connected(), 1u);

  grpc::Status hs;
  v1::NodeHistoryRequest req;
  req.set_node_id("v1");
  EXPECT_EQ(History(req, &hs).size(), 5u);
  EXPECT_TRUE(hs.ok()) << hs.error_message();
}

// A bound of one byte holds every snapshot over it: the stream stops reading after each one
// until its ack, then reads on. Every snapshot still goes through, in order, and is stored.
TEST_F(IngestTest, AStreamOverItsUnackedBytesReadsOnAfterEachAck) {
  TearDown();
  CollectorConfig config;
  config.max_stream_inflight_bytes = 1;
  config.max_snapshots_per_second_per_agent = 0;
  Start(config);
  grpc::ClientContext ctx;
  auto stream = Connect(&ctx, "v1");
  constexpr uint64_t kCount = 300;
  for (uint64_t seq = 1; seq <= kCount; ++seq) {
    ASSERT_TRUE(stream->Write(SnapshotOf("v1", seq)));
  }
  ASSERT_TRUE(AwaitAck(stream.get(), kCount));
  grpc::Status hs;
  v1::NodeHistoryRequest req;
  req.set_node_id("v1");
  req.set_limit(2 * kCount);
  std::vector<v1::HistoryPoint> points = History(req, &hs);
  ASSERT_TRUE(hs.ok()) << hs.error_message();
  ASSERT_EQ(points.size(), kCount);
  for (uint64_t i = 0; i < kCount; ++i) EXPECT_EQ(points[i].seq(), i + 1);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(IngestTest, ReplayedSnapshotsAreAckedButStoredOnce) {
  StoreAndClose("v2", 1, 3);
  grpc::ClientContext ctx;
  uint64_t last = 0;
  auto stream = Connect(&ctx, "v2", &last);
  EXPECT_EQ(last, 3u);
  for (uint64_t seq = 2; seq <= 4; ++seq) ASSERT_TRUE(stream->Write(SnapshotOf("v2", seq)));
  ASSERT_TRUE(AwaitAck(stream.get(), 4));
  grpc::Status hs;
  v1::NodeHistoryRequest req;
  req.set_node_id("v2");
  std::vector<v1::HistoryPoint> points = History(req, &hs);
  ASSERT_EQ(points.size(), 4u);
  for (size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i].seq(), i + 1);
}

TEST_F(IngestTest, FirstMessageOtherThanHelloIsInvalidArgument) {
  grpc::Status s = StatusAfter({SnapshotOf("v1", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("Hello"), std::string::npos) << s.error_message();
}

TEST_F(IngestTest, SeqGoingBackwardsOnAStreamIsInvalidArgument) {
  grpc::Status s = StatusAfter({HelloOf("v1"), SnapshotOf("v1", 7), SnapshotOf("v1", 6)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("seq must increase"), std::string::npos);
}

TEST_F(IngestTest, MessageOfUnknownKindIsInvalidArgument) {
  grpc::Status s = StatusAfter({HelloOf("v1"), v1::AgentMessage()});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("unknown kind"), std::string::npos);
}

TEST_F(IngestTest, MalformedNodeIdInHelloIsInvalidArgument) {
  EXPECT_EQ(StatusAfter({HelloOf("../etc/passwd")}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StatusAfter({HelloOf("")}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(IngestTest, SnapshotOfAnotherNodeIsInvalidArgument) {
  grpc::Status s = StatusAfter({HelloOf("v1"), SnapshotOf("v2", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(IngestTest, SnapshotWithTooManyPeersIsInvalidArgumentAndNotStored) {
  v1::AgentMessage big = SnapshotOf("v1", 1);
  for (int i = 0; i < 5000; ++i) big.mutable_snapshot()->add_peers()->set_remote_addr("1.2.3.4:5");
  grpc::Status s = StatusAfter({HelloOf("v1"), big});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("peers"), std::string::npos) << s.error_message();
  grpc::Status hs;
  v1::NodeHistoryRequest req;
  req.set_node_id("v1");
  EXPECT_TRUE(History(req, &hs).empty());
}

TEST_F(IngestTest, OversizedMessageIsRefusedByTheTransport) {
  v1::AgentMessage huge = SnapshotOf("v1", 1);
  huge.mutable_snapshot()->mutable_health()->set_version(std::string(5 << 20, 'x'));
  grpc::Status s = StatusAfter({HelloOf("v1"), huge});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
}

TEST_F(IngestTest, SnapshotFromAClockFarOffIsInvalidArgument) {
  grpc::Status s =
      StatusAfter({HelloOf("v1"), SnapshotOf("v1", 1, absl::Now() + absl::Hours(24 * 365))});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("clock"), std::string::npos) << s.error_message();
}

TEST_F(IngestTest, NewerStreamOfTheSameNodeClosesTheOlderWithAlreadyExists) {
  grpc::ClientContext first_ctx;
  auto first = Connect(&first_ctx, "v4");
  grpc::ClientContext second_ctx;
  auto second = Connect(&second_ctx, "v4");
  v1::CollectorMessage m;
  while (first->Read(&m)) {
  }
  EXPECT_EQ(first->Finish().error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ASSERT_TRUE(second->Write(SnapshotOf("v4", 1)));
  EXPECT_TRUE(AwaitAck(second.get(), 1));
}

TEST_F(IngestTest, UnknownNodeIsNotFound) {
  grpc::ClientContext ctx;
  v1::GetNodeRequest req;
  req.set_node_id("ghost");
  v1::NodeDetail detail;
  EXPECT_EQ(fleet_->GetNode(&ctx, req, &detail).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status hs;
  v1::NodeHistoryRequest hreq;
  hreq.set_node_id("ghost");
  History(hreq, &hs);
  EXPECT_EQ(hs.error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext ictx;
  v1::GetIncidentRequest ireq;
  ireq.set_id("no-such-incident");
  v1::Incident incident;
  EXPECT_EQ(fleet_->GetIncident(&ictx, ireq, &incident).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(IngestTest, HistoryDownsamplesToTheLastPointOfEachStep) {
  grpc::ClientContext ctx;
  auto stream = Connect(&ctx, "v5");
  absl::Time base = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 10 * 10 - 60);
  for (uint64_t seq = 1; seq <= 30; ++seq) {
    ASSERT_TRUE(stream->Write(SnapshotOf("v5", seq, base + absl::Seconds(seq - 1))));
  }
  ASSERT_TRUE(AwaitAck(stream.get(), 30));
  v1::NodeHistoryRequest req;
  req.set_node_id("v5");
  req.set_step_ms(10000);
  grpc::Status hs;
  std::vector<v1::HistoryPoint> points = History(req, &hs);
  ASSERT_TRUE(hs.ok()) << hs.error_message();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].seq(), 10u);
  EXPECT_EQ(points[1].seq(), 20u);
  EXPECT_EQ(points[2].seq(), 30u);
  req.set_limit(2);
  EXPECT_EQ(History(req, &hs).size(), 2u);
  req.set_step_ms(-1);
  History(req, &hs);
  EXPECT_EQ(hs.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(IngestTest, FullIngestQueueAnswersResourceExhausted) {
  collector_.reset();
  CollectorConfig config;
  config.max_queue = 0;
  Start(config);
  grpc::Status s = StatusAfter({HelloOf("v1"), SnapshotOf("v1", 1)});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("overloaded"), std::string::npos);
}

TEST_F(IngestTest, BundleRpcsAreUnimplementedWithoutTheBundleRoom) {
  grpc::ClientContext ctx;
  v1::ListBundlesRequest req;
  v1::BundleList list;
  EXPECT_EQ(fleet_->ListBundles(&ctx, req, &list).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(IngestTest, FleetStateSurvivesARestartOfTheCollector) {
  StoreAndClose("v6", 1, 1);
  Restart({});
  grpc::ClientContext ctx;
  v1::GetNodeRequest req;
  req.set_node_id("v6");
  v1::NodeDetail detail;
  ASSERT_TRUE(fleet_->GetNode(&ctx, req, &detail).ok());
  EXPECT_EQ(detail.latest().seq(), 1u);
  EXPECT_EQ(detail.status().role(), "validator");
  EXPECT_FALSE(detail.status().connected());
}

TEST_F(IngestTest, MetricsShowTheFleetByStateAndTheCollectorIsReady) {
  grpc::ClientContext ctx;
  auto stream = Connect(&ctx, "v8");
  ASSERT_TRUE(stream->Write(SnapshotOf("v8", 1)));
  ASSERT_TRUE(AwaitAck(stream.get(), 1));
  httplib::Client http("http://" + collector_->http_address());
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  // As in SnapshotsAreAckedAfterTheWriteAndShowInFleetStatus: the first scrape with the node
  // judged (no longer UNKNOWN) is the one checked.
  std::string metrics;
  int metrics_status = 0;
  ASSERT_TRUE(guts::testing::WaitUntil(
      [&] {
        auto got = http.Get("/metrics");
        if (!got) return false;
        metrics_status = got->status;
        metrics = got->body;
        return metrics.find("guts_fleet_nodes{state=\"UNKNOWN\"} 0") != std::string::npos;
      },
      kJudgedWithin))
      << metrics;
  EXPECT_EQ(metrics_status, 200);
  EXPECT_NE(metrics.find("guts_fleet_nodes{state=\"HEALTHY\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("guts_node_finalized_height{node=\"v8\"} 1001"), std::string::npos);
  // Which agents this collector hears (replicas compare them).
  EXPECT_NE(metrics.find("guts_node_agent_connected{node=\"v8\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("guts_collector_snapshots_stored_total 1"), std::string::npos);
  EXPECT_NE(metrics.find("guts_collector_streams 1"), std::string::npos);
}

// Stored seqs of `node`, in order.
std::vector<uint64_t> StoredSeqs(v1::FleetService::Stub* fleet, const std::string& node) {
  grpc::ClientContext ctx;
  v1::NodeHistoryRequest req;
  req.set_node_id(node);
  auto reader = fleet->GetNodeHistory(&ctx, req);
  std::vector<uint64_t> seqs;
  v1::HistoryPoint p;
  while (reader->Read(&p)) seqs.push_back(p.seq());
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::NOT_FOUND) << s.error_message();
  return seqs;
}

class RateLimitedIngestTest : public IngestTest {
 protected:
  void SetUp() override {
    CollectorConfig config;
    config.max_snapshots_per_second_per_agent = 2;
    config.max_snapshot_burst_per_agent = 20;
    Start(config);
  }

  // Stored seqs of `node` once the writer has caught up with what was queued.
  std::vector<uint64_t> SettledSeqs(const std::string& node) {
    std::vector<uint64_t> seqs = StoredSeqs(fleet_.get(), node);
    for (int i = 0; i < 50; ++i) {
      absl::SleepFor(absl::Milliseconds(50));
      std::vector<uint64_t> again = StoredSeqs(fleet_.get(), node);
      if (again == seqs) break;
      seqs = std::move(again);
    }
    return seqs;
  }

  // Sends seq first..last as fast as the stream takes them (not waiting for acks), then reads
  // until the collector ends the stream. Returns its status; `acked` gets the highest ack.
  grpc::Status Flood(const v1::AgentMessage& hello, uint64_t first, uint64_t last,
                     uint64_t* acked) {
    grpc::ClientContext ctx;
    auto stream = agents_->Connect(&ctx);
    *acked = 0;
    if (stream->Write(hello)) {
      for (uint64_t seq = first; seq <= last; ++seq) {
        if (!stream->Write(SnapshotOf(hello.hello().node_id(), seq))) break;
      }
    }
    stream->WritesDone();
    v1::CollectorMessage m;
    while (stream->Read(&m)) {
      if (m.has_ack()) *acked = std::max(*acked, m.ack().seq());
    }
    return stream->Finish();
  }

  std::string Metrics() {
    httplib::Client http("http://" + collector_->http_address());
    auto metrics = http.Get("/metrics");
    return metrics ? metrics->body : "";
  }
};

TEST_F(RateLimitedIngestTest, FloodingAgentIsRefusedAndWhatWasRefusedIsNeitherAckedNorStored) {
  uint64_t acked = 0;
  grpc::Status s = Flood(HelloOf("v1"), 1, 200, &acked);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("node v1"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("2 per second"), std::string::npos) << s.error_message();

  // What passed is the burst (and what the rate refilled meanwhile): seq 1..k, nothing after
  // the refused one, and no ack beyond what is stored, so the agent still holds the rest.
  std::vector<uint64_t> stored = SettledSeqs("v1");
  ASSERT_GE(stored.size(), 20u);
  ASSERT_LT(stored.size(), 200u);
  for (size_t i = 0; i < stored.size(); ++i) ASSERT_EQ(stored[i], i + 1);
  EXPECT_LE(acked, stored.back());

  // Reconnecting at once gives no fresh burst: the next flood is refused after a few.
  v1::AgentMessage again = HelloOf("v1");
  again.mutable_hello()->set_last_acked_seq(acked);
  again.mutable_hello()->set_next_seq(201);
  uint64_t first = stored.back() + 1;
  s = Flood(again, first, first + 100, &acked);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  std::vector<uint64_t> after = SettledSeqs("v1");
  EXPECT_LT(after.size() - stored.size(), 20u);

  EXPECT_NE(Metrics().find("guts_collector_rejected_total{reason=\"rate_limited\"} 2"),
            std::string::npos)
      << Metrics();
}

TEST_F(RateLimitedIngestTest, CollectorKeepsServingOtherAgentsWhileOneFloods) {
  std::atomic<bool> stop = false;
  std::atomic<int> refused = 0;
  std::thread flooder([&] {
    for (uint64_t next = 1; !stop;) {
      uint64_t acked = 0;
      grpc::Status s = Flood(HelloOf("v1"), next, next + 500, &acked);
      if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++refused;
      next = std::max(next, acked + 1);
    }
  });
  while (refused == 0) absl::SleepFor(absl::Milliseconds(5));
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    // A well-behaved agent, one stream at a time, as after reconnects.
    grpc::ClientContext ctx;
    auto stream = Connect(&ctx, "v2");
    ASSERT_TRUE(stream->Write(SnapshotOf("v2", seq)));
    ASSERT_TRUE(AwaitAck(stream.get(), seq)) << "seq " << seq;
    ctx.TryCancel();
    stream->Finish();
  }
  EXPECT_GE(refused, 2) << "v1 kept flooding through v2's streams";
  stop = true;
  flooder.join();
  EXPECT_EQ(StoredSeqs(fleet_.get(), "v2").size(), 20u);
  grpc::ClientContext q;
  v1::FleetStatus status;
  EXPECT_TRUE(fleet_->GetFleetStatus(&q, {}, &status).ok());
}

TEST_F(RateLimitedIngestTest, HelloClaimingAnHourOfSpoolBuysNoCreditTheCollectorDidNotSee) {
  // A node this collector never stored claims an agent started an hour ago with 2000
  // snapshots spooled. The collector itself has seen that node silent only since it started:
  // the claim buys no more than the burst plus the rate over that, and the rest is refused,
  // never acked, so a real agent keeps it in its spool and replays it at the limit.
  absl::Time now = absl::Now();
  v1::AgentMessage hello = HelloOf("v3");
  hello.mutable_hello()->set_agent_start_unix_ms(absl::ToUnixMillis(now - absl::Hours(1)));
  hello.mutable_hello()->set_next_seq(2001);
  grpc::ClientContext ctx;
  auto stream = agents_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(hello));
  for (uint64_t seq = 1; seq <= 2000; ++seq) {
    if (!stream->Write(SnapshotOf("v3", seq, now - absl::Hours(1) + seq * absl::Seconds(1)))) {
      break;
    }
  }
  v1::CollectorMessage m;
  uint64_t acked = 0;
  while (stream->Read(&m)) {
    if (m.has_ack()) acked = std::max(acked, m.ack().seq());
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  std::vector<uint64_t> stored = SettledSeqs("v3");
  EXPECT_LT(stored.size(), 200u) << "the Hello's claim bought credit";
  EXPECT_GE(stored.size(), 20u) << "the burst is still there";
  EXPECT_LE(acked, stored.size());
}

TEST_F(RateLimitedIngestTest, ReplayAfterACollectorRestartIsCreditedFromTheStore) {
  StoreAndClose("v4", 1, 1);
  collector_.reset();
  // Down for three seconds while the agent spools 14 (at 5/s, the most its rate allows), more
  // than the burst of 10: the restarted collector knows the silence from the store alone.
  absl::SleepFor(absl::Seconds(3));
  CollectorConfig config;
  config.max_snapshots_per_second_per_agent = 5;
  config.max_snapshot_burst_per_agent = 10;
  Restart(config);
  v1::AgentMessage hello = HelloOf("v4");
  hello.mutable_hello()->set_last_acked_seq(1);
  hello.mutable_hello()->set_next_seq(16);
  grpc::ClientContext ctx;
  auto stream = agents_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(hello));
  for (uint64_t seq = 2; seq <= 15; ++seq) ASSERT_TRUE(stream->Write(SnapshotOf("v4", seq)));
  ASSERT_TRUE(AwaitAck(stream.get(), 15));
  EXPECT_EQ(StoredSeqs(fleet_.get(), "v4").size(), 15u);
}

class MutualTlsIngestTest : public IngestTest {
 protected:
  void SetUp() override {
    certs_ = std::filesystem::temp_directory_path() / absl::StrCat("guts-ingest-certs-", getpid());
    std::string mint =
        absl::StrCat(GUTS_SOURCE_DIR, "/scripts/mint-dev-certs.sh ", certs_, " v1 2>/dev/null");
    ASSERT_EQ(std::system(mint.c_str()), 0);
    CollectorConfig config;
    config.tls = {.cert_file = certs_ + "/collector.crt",
                  .key_file = certs_ + "/collector.key",
                  .ca_file = certs_ + "/ca.crt"};
    Start(config);
    TlsOptions agent{.cert_file = certs_ + "/agent-v1.crt",
                     .key_file = certs_ + "/agent-v1.key",
                     .ca_file = certs_ + "/ca.crt"};
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = ClientCredentials(agent);
    ASSERT_TRUE(creds.ok());
    agents_ = v1::AgentService::NewStub(grpc::CreateChannel(collector_->grpc_address(), *creds));
  }
  void TearDown() override {
    IngestTest::TearDown();
    std::filesystem::remove_all(certs_);
  }
  std::string certs_;
};

TEST_F(MutualTlsIngestTest, HelloClaimingAnotherNodeThanTheCertificateIsPermissionDenied) {
  grpc::Status s = StatusAfter({HelloOf("v2")});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("v1"), std::string::npos) << s.error_message();
}

TEST_F(MutualTlsIngestTest, HelloMatchingTheCertificateIsAccepted) {
  grpc::ClientContext ctx;
  auto stream = Connect(&ctx, "v1");
  ASSERT_TRUE(stream->Write(SnapshotOf("v1", 1)));
  EXPECT_TRUE(AwaitAck(stream.get(), 1));
}

}  // namespace
}  // namespace guts::collector
