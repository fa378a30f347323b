// The real guts-collector bounds what one call may cost: ListIncidents of a long history comes
// in pages under gRPC's message limit (and gutsctl reads every page), and CollectBundle and
// DownloadBundle calls are capped at once, in total and per caller, apart from queries.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/store/store.h"
#include "guts/diag/v1/agent.grpc.pb.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/files.h"
#include "tests/support/wait_until.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using guts::testing::BinaryPath;
using guts::testing::ChildProcess;

struct Running {
  std::unique_ptr<ChildProcess> process;
  std::string grpc;
};

Running StartCollector(const std::string& dir, std::vector<std::string> flags) {
  std::vector<std::string> argv = {BinaryPath("guts-collector"),
                                   "--grpc-addr",
                                   "127.0.0.1:0",
                                   "--http-addr",
                                   "127.0.0.1:0",
                                   "--data-dir",
                                   dir + "/db",
                                   "--insecure",
                                   "--ready-file",
                                   dir + "/ready",
                                   "--log-level",
                                   "warn"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  Running r;
  r.process = std::make_unique<ChildProcess>(argv, dir + "/collector.log");
  EXPECT_TRUE(r.process->ok()) << r.process->error();
  absl::StatusOr<std::string> text =
      guts::testing::WaitForReadyFile(dir + "/ready", absl::Seconds(30));
  EXPECT_TRUE(text.ok()) << text.status() << guts::testing::ReadFileOrEmpty(dir + "/collector.log");
  if (text.ok()) r.grpc = nlohmann::json::parse(*text)["grpc"].get<std::string>();
  return r;
}

// A channel on a connection of its own (gRPC shares connections between channels with equal
// arguments): without TLS, the collector tells callers apart by their connection.
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address, int n) {
  grpc::ChannelArguments args;
  args.SetInt("guts.test.connection", n);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// 3000 resolved incidents of 2 KB each (6 MB, past gRPC's 4 MiB message limit), one a second
// over the last hour, newest last.
constexpr int kIncidents = 3000;

void StoreLongHistory(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = dir + "/db"});
  ASSERT_TRUE(store.ok()) << store.status();
  const int64_t start = absl::ToUnixMillis(absl::Now() - absl::Hours(1));
  std::vector<v1::Incident> incidents;
  for (int i = 0; i < kIncidents; ++i) {
    v1::Incident incident;
    incident.set_id(absl::StrFormat("inc-%05d", i));
    incident.set_kind(v1::NODE_DOWN);
    incident.set_severity(v1::P2);
    incident.set_state(v1::RESOLVED);
    incident.set_summary(absl::StrCat("v", i % 7, " down"));
    incident.add_nodes(absl::StrCat("v", i % 7));
    incident.set_opened_unix_ms(start + i * 1000);
    incident.set_updated_unix_ms(start + i * 1000 + 500);
    incident.set_resolved_unix_ms(start + i * 1000 + 500);
    (*incident.mutable_evidence())["detail"] = std::string(2000, 'a' + i % 26);
    incidents.push_back(std::move(incident));
  }
  ASSERT_TRUE((*store)->PutIncidents(incidents).ok());
}

TEST(BoundedCallsTest, ALongIncidentHistoryComesInPagesAndGutsctlReadsThemAll) {
  const std::string dir = guts::testing::FreshTempDir("collector-incident-pages");
  ASSERT_NO_FATAL_FAILURE(StoreLongHistory(dir));
  Running collector = StartCollector(dir, {});
  ASSERT_FALSE(collector.grpc.empty());
  auto stub = v1::FleetService::NewStub(OwnChannel(collector.grpc, 1));
  auto list = [&](const v1::ListIncidentsRequest& request, v1::IncidentList* reply) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub->ListIncidents(&context, request, reply);
  };

  // An old client (no limit, no token) gets the newest 100 and is told there is more.
  v1::ListIncidentsRequest request;
  request.set_include_resolved(true);
  v1::IncidentList first;
  grpc::Status status = list(request, &first);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  ASSERT_EQ(first.incidents_size(), 100);
  EXPECT_EQ(first.incidents(0).id(), "inc-02999");
  EXPECT_TRUE(first.truncated());
  EXPECT_EQ(first.total_matching(), static_cast<uint32_t>(kIncidents));
  EXPECT_FALSE(first.next_page_token().empty());

  // Paging with the largest limit: every page under the byte budget, every incident exactly
  // once, newest first throughout.
  request.set_limit(100000);
  std::vector<std::string> ids;
  int pages = 0;
  while (true) {
    v1::IncidentList page;
    status = list(request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ++pages;
    ASSERT_LE(page.incidents_size(), 1000);
    EXPECT_LE(page.ByteSizeLong(), size_t{2} << 20);
    for (const v1::Incident& i : page.incidents()) ids.push_back(i.id());
    if (!page.truncated()) {
      EXPECT_TRUE(page.next_page_token().empty());
      break;
    }
    ASSERT_LT(pages, 100) << "paging does not end";
    request.set_page_token(page.next_page_token());
  }
  ASSERT_EQ(ids.size(), static_cast<size_t>(kIncidents));
  for (int i = 0; i < kIncidents; ++i) {
    ASSERT_EQ(ids[i], absl::StrFormat("inc-%05d", kIncidents - 1 - i)) << "position " << i;
  }
  EXPECT_GE(pages, 3) << "6 MB of incidents in fewer than 3 pages of 2 MiB";

  v1::ListIncidentsRequest forged;
  forged.set_page_token("1.9.x.inc-1");
  v1::IncidentList refused;
  status = list(forged, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "was not written by this collector"));

  // gutsctl pages through and says so.
  guts::testing::ShellResult all = guts::testing::Shell(
      absl::StrCat("(", BinaryPath("gutsctl"), " --collector ", collector.grpc,
                   " --insecure incidents --all -o json 2>", dir, "/gutsctl.err)"));
  ASSERT_EQ(all.exit_code, 0) << all.output.substr(0, 2000);
  nlohmann::json json = nlohmann::json::parse(all.output);
  EXPECT_EQ(json["incidents"].size(), static_cast<size_t>(kIncidents));
  EXPECT_TRUE(absl::StrContains(guts::testing::ReadFileOrEmpty(dir + "/gutsctl.err"),
                                "3000 incidents, read from the collector in 6 pages"))
      << guts::testing::ReadFileOrEmpty(dir + "/gutsctl.err");
  guts::testing::ShellResult some = guts::testing::Shell(
      absl::StrCat("(", BinaryPath("gutsctl"), " --collector ", collector.grpc,
                   " --insecure incidents --all --limit 700 -o json 2>", dir, "/gutsctl.err)"));
  ASSERT_EQ(some.exit_code, 0) << some.output.substr(0, 2000);
  EXPECT_EQ(nlohmann::json::parse(some.output)["incidents"].size(), 700u);
  EXPECT_TRUE(absl::StrContains(guts::testing::ReadFileOrEmpty(dir + "/gutsctl.err"),
                                "Showing 700 of 3000 incidents (--limit 700"))
      << guts::testing::ReadFileOrEmpty(dir + "/gutsctl.err");
}

// A bundle call held open: its stream and the first progress message it read (or its refusal).
struct HeldCall {
  std::unique_ptr<grpc::ClientContext> context = std::make_unique<grpc::ClientContext>();
  std::unique_ptr<grpc::ClientReader<v1::CollectProgress>> reader;
  bool running = false;
  grpc::Status refusal;
};

HeldCall StartCollect(v1::FleetService::Stub& stub, const std::string& node) {
  HeldCall call;
  call.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(90));
  v1::CollectBundleRequest request;
  request.add_node_ids(node);
  request.set_timeout_ms(60000);
  call.reader = stub.CollectBundle(call.context.get(), request);
  v1::CollectProgress progress;
  call.running = call.reader->Read(&progress);
  if (!call.running) call.refusal = call.reader->Finish();
  return call;
}

void End(HeldCall& call) {
  if (!call.running) return;
  call.context->TryCancel();
  v1::CollectProgress progress;
  while (call.reader->Read(&progress)) {
  }
  (void)call.reader->Finish();
  call.running = false;
}

grpc::Status Download(v1::FleetService::Stub& stub, const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::DownloadBundleRequest request;
  request.set_bundle_id(id);
  auto reader = stub.DownloadBundle(&context, request);
  v1::BundleData data;
  while (reader->Read(&data)) {
  }
  return reader->Finish();
}

TEST(BoundedCallsTest, BundleCallsBeyondTheirCapsAreRefusedWhileQueriesStillRun) {
  const std::string dir = guts::testing::FreshTempDir("collector-bundle-caps");
  Running collector =
      StartCollector(dir, {"--max-bundle-calls", "3", "--max-bundle-calls-per-caller", "2",
                           "--max-queries", "2", "--max-queries-per-caller", "1"});
  ASSERT_FALSE(collector.grpc.empty());

  // An agent that connects and never answers a bundle request: each collection runs until the
  // caller gives up.
  auto agents = v1::AgentService::NewStub(OwnChannel(collector.grpc, 0));
  grpc::ClientContext agent_context;
  auto agent = agents->Connect(&agent_context);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_node_id("v1");
  ASSERT_TRUE(agent->Write(hello));
  v1::CollectorMessage ack;
  ASSERT_TRUE(agent->Read(&ack));
  ASSERT_TRUE(ack.has_hello_ack());

  auto viewer = v1::FleetService::NewStub(OwnChannel(collector.grpc, 1));
  auto other = v1::FleetService::NewStub(OwnChannel(collector.grpc, 2));
  std::vector<HeldCall> held;
  for (int i = 0; i < 3; ++i) held.push_back(StartCollect(*viewer, "v1"));
  EXPECT_TRUE(held[0].running);
  EXPECT_TRUE(held[1].running);
  ASSERT_FALSE(held[2].running) << "a third collection at once from one caller ran";
  EXPECT_EQ(held[2].refusal.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(
      absl::StrContains(held[2].refusal.error_message(), "CollectBundle refused: ipv4:127.0.0.1:"))
      << held[2].refusal.error_message();
  EXPECT_TRUE(absl::StrContains(held[2].refusal.error_message(),
                                "already runs 2 bundle calls at once "
                                "(--max-bundle-calls-per-caller 2); retry later"))
      << held[2].refusal.error_message();
  grpc::Status download = Download(*viewer, "no-such-bundle");
  EXPECT_EQ(download.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << download.error_message();

  // Another caller gets the last place in total; beyond, downloads are refused too.
  held.push_back(StartCollect(*other, "v1"));
  EXPECT_TRUE(held[3].running) << held[3].refusal.error_message();
  download = Download(*other, "no-such-bundle");
  EXPECT_EQ(download.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(absl::StrContains(download.error_message(),
                                "DownloadBundle refused: the collector already runs 3 bundle "
                                "calls at once (--max-bundle-calls 3); retry later"))
      << download.error_message();

  // Queries are counted apart: three long collections do not lock anyone out of the status.
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::FleetStatus status;
    grpc::Status s = other->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // A cancelled collection frees its place.
  End(held[0]);
  EXPECT_TRUE(guts::testing::WaitUntil(
      [&] {
        return Download(*other, "no-such-bundle").error_code() == grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(20)))
      << "the cancelled collection's place was not freed";

  for (HeldCall& call : held) End(call);
  agent_context.TryCancel();
  collector.process->Stop();
}

}  // namespace
}  // namespace guts::collector
