// The collector in-process on loopback port 0: agents' streams, acks, bad input, queries.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "collector/collector.h"
#include "guts/diag/v1/agent.grpc.pb.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "httplib.h"

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
  s->set_interval_ms(1000);
  s->mutable_consensus()->set_finalized_height(1000 + seq);
  return m;
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(CollectorConfig config) {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("guts-ingest-test-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
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

  grpc::ClientContext q;
  v1::FleetStatus status;
  ASSERT_TRUE(fleet_->GetFleetStatus(&q, {}, &status).ok());
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

TEST_F(IngestTest, ReplayedSnapshotsAreAckedButStoredOnce) {
  {
    grpc::ClientContext ctx;
    auto stream = Connect(&ctx, "v2");
    for (uint64_t seq = 1; seq <= 3; ++seq) ASSERT_TRUE(stream->Write(SnapshotOf("v2", seq)));
    ASSERT_TRUE(AwaitAck(stream.get(), 3));
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
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
  {
    grpc::ClientContext ctx;
    auto stream = Connect(&ctx, "v6");
    ASSERT_TRUE(stream->Write(SnapshotOf("v6", 1)));
    ASSERT_TRUE(AwaitAck(stream.get(), 1));
    stream->WritesDone();
    stream->Finish();
  }
  std::string dir = dir_;
  collector_.reset();
  CollectorConfig config;
  config.grpc_addr = "127.0.0.1:0";
  config.http_addr = "127.0.0.1:0";
  config.data_dir = dir + "/db";
  config.tls.insecure = true;
  absl::StatusOr<std::unique_ptr<Collector>> c = Collector::Start(config);
  ASSERT_TRUE(c.ok()) << c.status();
  collector_ = *std::move(c);
  auto channel =
      grpc::CreateChannel(collector_->grpc_address(), grpc::InsecureChannelCredentials());
  auto fleet = v1::FleetService::NewStub(channel);
  grpc::ClientContext ctx;
  v1::GetNodeRequest req;
  req.set_node_id("v6");
  v1::NodeDetail detail;
  ASSERT_TRUE(fleet->GetNode(&ctx, req, &detail).ok());
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
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("guts_fleet_nodes{state=\"HEALTHY\"} 1"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("guts_node_finalized_height{node=\"v8\"} 1001"), std::string::npos);
  EXPECT_NE(metrics->body.find("guts_collector_snapshots_stored_total 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("guts_collector_streams 1"), std::string::npos);
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
