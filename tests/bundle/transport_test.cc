// Bundles over real (in-process) gRPC: the agent's command handler builds and uploads, the
// collector's bundle room (BundleRpcsImpl) stores and serves, gutsctl's side is a FleetService
// client.
#include <archive.h>
#include <archive_entry.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "agent/bundle/bundle_builder.h"
#include "agent/bundle/bundle_command_handler.h"
#include "bundle_format/archive_check.h"
#include "bundle_format/sha256.h"
#include "collector/bundles/bundle_rpcs_impl.h"
#include "guts/diag/v1/agent.grpc.pb.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "tests/collector/bundles/memory_bundle_storage.h"

namespace guts {
namespace {
namespace v1 = ::guts::diag::v1;
namespace fs = std::filesystem;
using collector::BundleRpcsImpl;
using collector::BundleUploads;

// AgentService whose uploads go to the bundle room; it can cut the first upload stream after a few
// chunks (the agent sees the stream fail, as on a disconnect) and records resume offsets.
class TestAgentService final : public v1::AgentService::CallbackService {
 public:
  explicit TestAgentService(BundleRpcsImpl* rpcs) : rpcs_(rpcs) {}
  std::atomic<int> cut_after_chunks{-1};
  std::vector<uint64_t> offsets_asked;
  std::mutex mu;

  grpc::ServerReadReactor<v1::BundleChunk>* UploadBundle(grpc::CallbackServerContext* ctx,
                                                         v1::UploadBundleResponse* resp) override {
    const int cut = cut_after_chunks.exchange(-1);
    if (cut < 0) return rpcs_->UploadBundle(ctx, resp);
    class Cutter : public grpc::ServerReadReactor<v1::BundleChunk> {
     public:
      Cutter(BundleUploads* uploads, int cut) : uploads_(uploads), left_(cut) {
        StartRead(&chunk_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) return Finish(grpc::Status::OK);
        if (!uploads_->AcceptChunk("", chunk_).ok()) return Finish(grpc::Status::CANCELLED);
        if (--left_ == 0) return Finish(grpc::Status(grpc::UNAVAILABLE, "simulated disconnect"));
        StartRead(&chunk_);
      }
      void OnDone() override { delete this; }

     private:
      BundleUploads* uploads_;
      int left_;
      v1::BundleChunk chunk_;
    };
    return new Cutter(&rpcs_->uploads(), cut);
  }
  grpc::ServerUnaryReactor* BundleUploadOffset(grpc::CallbackServerContext* ctx,
                                               const v1::BundleUploadOffsetRequest* req,
                                               v1::UploadBundleResponse* resp) override {
    auto* reactor = rpcs_->BundleUploadOffset(ctx, req, resp);
    std::lock_guard<std::mutex> lock(mu);
    offsets_asked.push_back(resp->stored_offset());
    return reactor;
  }

 private:
  BundleRpcsImpl* rpcs_;
};

class TestFleetService final : public v1::FleetService::CallbackService {
 public:
  explicit TestFleetService(BundleRpcsImpl* rpcs) : rpcs_(rpcs) {}
  grpc::ServerWriteReactor<v1::CollectProgress>* CollectBundle(
      grpc::CallbackServerContext* ctx, const v1::CollectBundleRequest* req) override {
    return rpcs_->CollectBundle(ctx, req, nullptr);
  }
  grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* ctx,
                                        const v1::ListBundlesRequest* req,
                                        v1::BundleList* resp) override {
    return rpcs_->ListBundles(ctx, req, resp);
  }
  grpc::ServerWriteReactor<v1::BundleData>* DownloadBundle(
      grpc::CallbackServerContext* ctx, const v1::DownloadBundleRequest* req) override {
    return rpcs_->DownloadBundle(ctx, req, nullptr);
  }

 private:
  BundleRpcsImpl* rpcs_;
};

// A source of incompressible text, so the archive spans several 1 MiB chunks.
bundle::BundleSource NoiseSource(size_t bytes) {
  bundle::BundleSource s;
  s.name = "noise";
  s.entry = "noise.txt";
  s.max_bytes = bytes + 1;
  s.collect = [bytes](const bundle::SourceContext&, bundle::SourceOutput& out) {
    std::mt19937_64 rng(7);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string line;
    for (size_t n = 0; n < bytes; n += line.size()) {
      line.clear();
      for (int i = 0; i < 63; ++i) line.push_back(kHex[rng() & 15]);
      line.push_back('\n');
      out.Write(line);
    }
    return absl::OkStatus();
  };
  return s;
}

class BundleTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ =
        (fs::temp_directory_path() / absl::StrCat("guts-bundle-transport-", ::getpid())).string();
    fs::create_directories(work_);
    collector::BundleOptions opts;
    opts.start_ticker = false;
    opts.uploads.temp_dir = work_;
    auto storage = std::make_unique<collector::testing::MemoryBundleStorage>();
    storage_ = storage.get();
    auto rpcs = BundleRpcsImpl::Create(
        std::move(storage),
        [this](const std::string& node, const v1::Command& cmd) {
          auto it = handlers_.find(node);
          if (it == handlers_.end()) return false;
          it->second->Handle(
              cmd, [this, node](v1::CommandStatus st) { rpcs_->OnCommandStatus(node, st); });
          return true;
        },
        [this] { return nodes_; }, opts);
    ASSERT_TRUE(rpcs.ok());
    rpcs_ = std::move(*rpcs);
    agent_service_ = std::make_unique<TestAgentService>(rpcs_.get());
    fleet_service_ = std::make_unique<TestFleetService>(rpcs_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(agent_service_.get());
    builder.RegisterService(fleet_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    fleet_ = v1::FleetService::NewStub(channel_);
    agent_stub_ = v1::AgentService::NewStub(channel_);
  }
  void TearDown() override {
    handlers_.clear();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    std::error_code ec;
    fs::remove_all(work_, ec);
  }

  // Nodes v-names in the fleet; `connected` ones get an agent-side handler.
  void AddNode(const std::string& node, bool connected, size_t noise_bytes = 4096) {
    nodes_.push_back(node);
    if (!connected) return;
    bundle::BundleAgentOptions opts;
    opts.node.node_id = node;
    opts.work_dir = work_ + "/agent-" + node;
    opts.stub = v1::AgentService::NewStub(channel_);
    opts.sources = [noise_bytes] {
      return std::vector<bundle::BundleSource>{NoiseSource(noise_bytes)};
    };
    opts.upload.backoff_initial = absl::Milliseconds(20);
    handlers_[node] = std::make_unique<bundle::BundleCommandHandler>(std::move(opts));
  }

  std::map<std::string, v1::CollectProgress> Collect(v1::CollectBundleRequest req,
                                                     grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    auto reader = fleet_->CollectBundle(&ctx, req);
    std::map<std::string, v1::CollectProgress> last;
    v1::CollectProgress p;
    while (reader->Read(&p)) last[p.bundle().node_id()] = p;
    grpc::Status st = reader->Finish();
    if (status != nullptr) *status = st;
    EXPECT_TRUE(status != nullptr || st.ok()) << st.error_message();
    return last;
  }

  std::string Download(const std::string& id, uint64_t offset, v1::BundleInfo* info = nullptr) {
    grpc::ClientContext ctx;
    v1::DownloadBundleRequest req;
    req.set_bundle_id(id);
    req.set_offset(offset);
    auto reader = fleet_->DownloadBundle(&ctx, req);
    std::string data;
    v1::BundleData d;
    while (reader->Read(&d)) {
      if (d.has_info() && info != nullptr) *info = d.info();
      EXPECT_EQ(d.offset(), offset + data.size());
      data += d.data();
    }
    EXPECT_TRUE(reader->Finish().ok());
    return data;
  }

  // Registers a bundle for an offline `node` (for hand-made uploads).
  std::string RequestSilentBundle(const std::string& node) {
    nodes_.push_back(node);  // no handler: the request stays pending, uploads still accepted
    v1::CollectBundleRequest req;
    req.add_node_ids(node);
    return Collect(req)[node].bundle().id();
  }

  // The newest bundle of `node`, as ListBundles answers.
  v1::BundleInfo NewestOf(const std::string& node) {
    grpc::ClientContext ctx;
    v1::ListBundlesRequest req;
    req.set_node_id(node);
    v1::BundleList list;
    grpc::Status st = fleet_->ListBundles(&ctx, req, &list);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return list.bundles_size() > 0 ? list.bundles(0) : v1::BundleInfo();
  }

  grpc::Status SendChunks(const std::string& id, const std::string& node, const std::string& data,
                          const std::string& sha, size_t chunk, v1::UploadBundleResponse* resp) {
    grpc::ClientContext ctx;
    auto writer = agent_stub_->UploadBundle(&ctx, resp);
    for (size_t off = 0; off < data.size(); off += chunk) {
      v1::BundleChunk c;
      c.set_bundle_id(id);
      c.set_node_id(node);
      c.set_offset(off);
      c.set_data(data.substr(off, chunk));
      if (off + chunk >= data.size()) {
        c.set_last(true);
        c.set_total_size(data.size());
        c.set_sha256(sha);
      }
      if (!writer->Write(c)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  std::string BuildArchive(const std::string& id, size_t noise) {
    bundle::BundlePlan plan;
    plan.bundle_id = id;
    plan.sources = {NoiseSource(noise)};
    plan.work_dir = work_;
    auto built = bundle::BuildBundle(plan);
    EXPECT_TRUE(built.ok());
    std::ifstream in(built->archive_path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  static std::string Sha(const std::string& data) {
    bundle::Sha256 h;
    h.Update(data);
    return h.FinishHex();
  }

  std::string work_;
  collector::testing::MemoryBundleStorage* storage_ = nullptr;  // owned by rpcs_
  std::vector<std::string> nodes_;
  std::unique_ptr<BundleRpcsImpl> rpcs_;
  std::unique_ptr<TestAgentService> agent_service_;
  std::unique_ptr<TestFleetService> fleet_service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FleetService::Stub> fleet_;
  std::unique_ptr<v1::AgentService::Stub> agent_stub_;
  std::map<std::string, std::unique_ptr<bundle::BundleCommandHandler>> handlers_;
};

TEST_F(BundleTransportTest, CollectAllWithOneNodeDownReturnsTheOthersAndReportsItPending) {
  AddNode("v1", true);
  AddNode("v2", true);
  AddNode("v3", false);
  v1::CollectBundleRequest req;
  req.set_all(true);
  req.set_timeout_ms(60000);
  auto last = Collect(req);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last["v1"].bundle().state(), v1::BUNDLE_COMPLETE) << last["v1"].message();
  EXPECT_EQ(last["v2"].bundle().state(), v1::BUNDLE_COMPLETE) << last["v2"].message();
  EXPECT_EQ(last["v3"].bundle().state(), v1::BUNDLE_PENDING);
  EXPECT_NE(last["v3"].message().find("offline"), std::string::npos);
  EXPECT_EQ(last["v1"].bundle().summary().sources_ok(), 1u);

  v1::BundleInfo info;
  const std::string archive = Download(last["v1"].bundle().id(), 0, &info);
  EXPECT_EQ(archive.size(), info.size_bytes());
  EXPECT_EQ(Sha(archive), info.sha256());
  const std::string path = work_ + "/downloaded.tar.gz";
  std::ofstream(path, std::ios::binary) << archive;
  auto names = bundle::CheckArchiveEntries(path);
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(*names, (std::vector<std::string>{"noise.txt", "manifest.json"}));

  // Download resumes from an offset.
  const std::string tail = Download(info.id(), archive.size() / 2);
  EXPECT_EQ(tail, archive.substr(archive.size() / 2));

  // The offline node reconnects: its queued request goes out and completes.
  bundle::BundleAgentOptions opts;
  opts.node.node_id = "v3";
  opts.work_dir = work_ + "/agent-v3";
  opts.stub = v1::AgentService::NewStub(channel_);
  opts.sources = [] { return std::vector<bundle::BundleSource>{NoiseSource(100)}; };
  handlers_["v3"] = std::make_unique<bundle::BundleCommandHandler>(std::move(opts));
  rpcs_->OnNodeConnected("v3");
  v1::BundleInfo v3;
  for (int i = 0; i < 500; ++i) {
    v3 = NewestOf("v3");
    if (v3.state() == v1::BUNDLE_COMPLETE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(v3.state(), v1::BUNDLE_COMPLETE) << v3.error();
}

TEST_F(BundleTransportTest, DisconnectMidUploadResumesFromTheStoredOffset) {
  AddNode("v1", true, 6 << 20);  // ~3 MiB of gzip: several 1 MiB chunks
  agent_service_->cut_after_chunks = 2;
  v1::CollectBundleRequest req;
  req.add_node_ids("v1");
  req.set_timeout_ms(120000);
  auto last = Collect(req);
  ASSERT_EQ(last["v1"].bundle().state(), v1::BUNDLE_COMPLETE) << last["v1"].message();
  {
    std::lock_guard<std::mutex> lock(agent_service_->mu);
    ASSERT_GE(agent_service_->offsets_asked.size(), 2u);
    EXPECT_EQ(agent_service_->offsets_asked[0], 0u);
    // The second attempt resumed after the two chunks stored before the cut.
    EXPECT_EQ(agent_service_->offsets_asked[1], 2u << 20);
  }
  const v1::BundleInfo& info = last["v1"].bundle();
  EXPECT_GT(info.size_bytes(), 2u << 20);
  EXPECT_EQ(Sha(storage_->Data(info.id())), info.sha256());
}

TEST_F(BundleTransportTest, CorruptedChunkIsRefusedAndTheBundleMarkedFailed) {
  const std::string id = RequestSilentBundle("v5");
  ASSERT_FALSE(id.empty());
  const std::string good = BuildArchive("c", 3 << 20);
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x5a;
  v1::UploadBundleResponse resp;
  grpc::Status st = SendChunks(id, "v5", bad, Sha(good), 1 << 20, &resp);
  EXPECT_EQ(st.error_code(), grpc::DATA_LOSS) << st.error_message();
  EXPECT_NE(st.error_message().find("SHA-256 mismatch"), std::string::npos);
  EXPECT_EQ(NewestOf("v5").state(), v1::BUNDLE_FAILED);
  // A failed bundle is not served.
  grpc::ClientContext ctx;
  v1::DownloadBundleRequest dl;
  dl.set_bundle_id(id);
  auto reader = fleet_->DownloadBundle(&ctx, dl);
  v1::BundleData d;
  while (reader->Read(&d)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::FAILED_PRECONDITION);
}

TEST_F(BundleTransportTest, ChunkOverOneMebibyteIsInvalidArgument) {
  const std::string id = RequestSilentBundle("v6");
  const std::string big((1 << 20) + 1, 'x');
  v1::UploadBundleResponse resp;
  grpc::Status st = SendChunks(id, "v6", big, Sha(big), big.size(), &resp);
  EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT) << st.error_message();
}

TEST_F(BundleTransportTest, ChunkAtTheWrongOffsetIsRefusedWithTheOffsetToResumeFrom) {
  const std::string id = RequestSilentBundle("v7");
  grpc::ClientContext ctx;
  v1::UploadBundleResponse resp;
  auto writer = agent_stub_->UploadBundle(&ctx, &resp);
  v1::BundleChunk c;
  c.set_bundle_id(id);
  c.set_node_id("v7");
  c.set_offset(4096);
  c.set_data("late");
  writer->Write(c);
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("holds 0 bytes"), std::string::npos);
}

TEST_F(BundleTransportTest, ArchiveWithDotDotEntryIsRefusedByTheCollector) {
  const std::string id = RequestSilentBundle("v8");
  const std::string path = work_ + "/evil.tar.gz";
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const char* name : {"manifest.json", "../../root/.ssh/authorized_keys"}) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, 2);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, "{}", 2);
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  v1::UploadBundleResponse resp;
  grpc::Status st = SendChunks(id, "v8", data, Sha(data), 1 << 20, &resp);
  EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT) << st.error_message();
  EXPECT_NE(st.error_message().find("authorized_keys"), std::string::npos);
  EXPECT_EQ(NewestOf("v8").state(), v1::BUNDLE_FAILED);
}

TEST_F(BundleTransportTest, AnotherNodesBundleCannotBeUploaded) {
  const std::string id = RequestSilentBundle("v9");
  const std::string data = BuildArchive("x", 10);
  v1::UploadBundleResponse resp;
  grpc::Status st = SendChunks(id, "v1", data, Sha(data), 1 << 20, &resp);
  EXPECT_EQ(st.error_code(), grpc::PERMISSION_DENIED);
}

// One collector replica's bundle room on its own gRPC server, holding a pending request for
// bundle `id` of node v1 (as each replica holds the request it sent the agent).
class ReplicaBundleRoom {
 public:
  explicit ReplicaBundleRoom(const std::string& id, const std::string& temp_dir) {
    auto storage = std::make_unique<collector::testing::MemoryBundleStorage>();
    storage_ = storage.get();
    v1::BundleInfo pending;
    pending.set_id(id);
    pending.set_node_id("v1");
    pending.set_state(v1::BUNDLE_PENDING);
    pending.set_requested_unix_ms(absl::ToUnixMillis(absl::Now()));
    pending.set_expires_unix_ms(absl::ToUnixMillis(absl::Now() + absl::Minutes(10)));
    EXPECT_TRUE(storage->PutBundleInfo(pending).ok());
    collector::BundleOptions opts;
    opts.start_ticker = false;
    opts.uploads.temp_dir = temp_dir;
    auto rpcs = BundleRpcsImpl::Create(
        std::move(storage), [](const std::string&, const v1::Command&) { return false; },
        [] { return std::vector<std::string>{"v1"}; }, opts);
    EXPECT_TRUE(rpcs.ok()) << rpcs.status();
    rpcs_ = std::move(*rpcs);
    agent_service_ = std::make_unique<TestAgentService>(rpcs_.get());
    fleet_service_ = std::make_unique<TestFleetService>(rpcs_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(agent_service_.get());
    builder.RegisterService(fleet_service_.get());
    server_ = builder.BuildAndStart();
    address_ = absl::StrCat("127.0.0.1:", port);
    channel_ = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  }
  ~ReplicaBundleRoom() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }

  const std::string& address() const { return address_; }
  std::shared_ptr<v1::AgentService::StubInterface> AgentStub() {
    return v1::AgentService::NewStub(channel_);
  }
  std::string Data(const std::string& id) { return storage_->Data(id); }
  v1::BundleInfo Info(const std::string& id) {
    grpc::ClientContext ctx;
    v1::ListBundlesRequest req;
    req.set_node_id("v1");
    v1::BundleList list;
    EXPECT_TRUE(v1::FleetService::NewStub(channel_)->ListBundles(&ctx, req, &list).ok());
    for (const v1::BundleInfo& info : list.bundles()) {
      if (info.id() == id) return info;
    }
    return v1::BundleInfo();
  }

 private:
  collector::testing::MemoryBundleStorage* storage_ = nullptr;  // owned by rpcs_
  std::unique_ptr<BundleRpcsImpl> rpcs_;
  std::unique_ptr<TestAgentService> agent_service_;
  std::unique_ptr<TestFleetService> fleet_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The CommandStatuses one collector's stream received, in order.
struct StatusLog {
  std::mutex mu;
  std::vector<v1::CommandStatus> statuses;
  std::function<void(v1::CommandStatus)> Report() {
    return [this](v1::CommandStatus s) {
      std::lock_guard<std::mutex> lock(mu);
      statuses.push_back(std::move(s));
    };
  }
  int Count(v1::CommandStatus::State state) {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<int>(std::count_if(statuses.begin(), statuses.end(),
                                          [state](const auto& s) { return s.state() == state; }));
  }
  bool WaitFinal(absl::Duration timeout) {
    for (absl::Time end = absl::Now() + timeout; absl::Now() < end;) {
      if (Count(v1::CommandStatus::DONE) + Count(v1::CommandStatus::FAILED) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::string Last() {
    std::lock_guard<std::mutex> lock(mu);
    return statuses.empty() ? "(none)" : statuses.back().ShortDebugString();
  }
};

// Collector replicas each asking the agent for the same command id: the agent builds the bundle
// once and uploads it to every collector that asked, while it builds and after it finished; a
// repeat from a collector that has its upload is ignored.
TEST(BundleFromTwoCollectors, SameCommandIdFromEachIsBuiltOnceAndUploadedToEveryOneThatAsked) {
  const std::string work =
      (fs::temp_directory_path() / absl::StrCat("guts-bundle-two-", ::getpid())).string();
  fs::create_directories(work);
  const std::string id = "v1-20261205T090000Z-0000aa";
  ReplicaBundleRoom a(id, work), b(id, work), c(id, work);
  auto builds = std::make_shared<std::atomic<int>>(0);
  bundle::BundleAgentOptions opts;
  opts.node.node_id = "v1";
  opts.work_dir = work + "/agent";
  opts.stub_by_collector = {
      {a.address(), a.AgentStub()}, {b.address(), b.AgentStub()}, {c.address(), c.AgentStub()}};
  opts.upload.backoff_initial = absl::Milliseconds(20);
  opts.sources = [builds] {
    bundle::BundleSource noise = NoiseSource(256 << 10);
    bundle::BundleSource counted;
    counted.name = "counted";
    counted.entry = "counted.txt";
    counted.collect = [builds](const bundle::SourceContext&, bundle::SourceOutput& out) {
      ++*builds;
      // Long enough for the second collector's request to land while this one builds.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      out.Write("built\n");
      return absl::OkStatus();
    };
    return std::vector<bundle::BundleSource>{noise, counted};
  };
  auto handler = std::make_unique<bundle::BundleCommandHandler>(std::move(opts));
  v1::Command cmd;
  cmd.set_id(id);
  cmd.mutable_bundle()->set_bundle_id(id);
  cmd.mutable_bundle()->set_timeout_ms(30000);

  StatusLog from_a, from_b, from_c;
  handler->HandleFrom(a.address(), cmd, from_a.Report());
  handler->HandleFrom(b.address(), cmd, from_b.Report());  // while A's bundle builds
  handler->HandleFrom(a.address(), cmd, from_a.Report());  // A re-sends after a reconnect
  ASSERT_TRUE(from_a.WaitFinal(absl::Seconds(30))) << from_a.Last();
  ASSERT_TRUE(from_b.WaitFinal(absl::Seconds(30))) << from_b.Last();
  EXPECT_EQ(from_a.Count(v1::CommandStatus::DONE), 1) << from_a.Last();
  EXPECT_EQ(from_b.Count(v1::CommandStatus::DONE), 1) << from_b.Last();
  EXPECT_EQ(from_a.Count(v1::CommandStatus::ACCEPTED), 1) << "A's repeat must be ignored";
  EXPECT_EQ(from_b.Count(v1::CommandStatus::ACCEPTED), 1);

  // After it finished, a third collector asks for the same id: it gets the kept archive.
  handler->HandleFrom(c.address(), cmd, from_c.Report());
  ASSERT_TRUE(from_c.WaitFinal(absl::Seconds(30))) << from_c.Last();
  EXPECT_EQ(from_c.Count(v1::CommandStatus::DONE), 1) << from_c.Last();
  // B asks again once more: it has its upload, nothing happens.
  handler->HandleFrom(b.address(), cmd, from_b.Report());
  EXPECT_EQ(from_b.Count(v1::CommandStatus::ACCEPTED), 1);

  EXPECT_EQ(builds->load(), 1) << "one command id, one bundle built";
  const std::string archive = a.Data(id);
  ASSERT_FALSE(archive.empty());
  EXPECT_EQ(b.Data(id), archive) << "B got another archive than A";
  EXPECT_EQ(c.Data(id), archive) << "C got another archive than A";
  bundle::Sha256 sha;
  sha.Update(archive);
  const std::string archive_sha = sha.FinishHex();
  for (ReplicaBundleRoom* room : {&a, &b, &c}) {
    v1::BundleInfo info = room->Info(id);
    EXPECT_EQ(info.state(), v1::BUNDLE_COMPLETE) << room->address() << ": " << info.error();
    EXPECT_EQ(info.sha256(), archive_sha) << room->address();
  }

  // The kept archive goes with the handler (a restarted agent no longer knows the id).
  handler.reset();
  int left = 0;
  for (const auto& entry : fs::recursive_directory_iterator(work + "/agent")) {
    left += entry.path().string().ends_with(".tar.gz");
  }
  EXPECT_EQ(left, 0);
  std::error_code ec;
  fs::remove_all(work, ec);
}

// Past `keep_archive_for` a late collector is told the archive is gone; nothing is rebuilt.
TEST(BundleFromTwoCollectors, LateAskerPastTheKeptArchiveIsToldToAskForANewBundle) {
  const std::string work =
      (fs::temp_directory_path() / absl::StrCat("guts-bundle-late-", ::getpid())).string();
  fs::create_directories(work);
  const std::string id = "v1-20261205T090000Z-0000bb";
  ReplicaBundleRoom a(id, work), b(id, work);
  bundle::BundleAgentOptions opts;
  opts.node.node_id = "v1";
  opts.work_dir = work + "/agent";
  opts.stub_by_collector = {{a.address(), a.AgentStub()}, {b.address(), b.AgentStub()}};
  opts.keep_archive_for = absl::ZeroDuration();
  opts.sources = [] { return std::vector<bundle::BundleSource>{NoiseSource(1024)}; };
  bundle::BundleCommandHandler handler(std::move(opts));
  v1::Command cmd;
  cmd.set_id(id);
  cmd.mutable_bundle()->set_bundle_id(id);
  StatusLog from_a, from_b;
  handler.HandleFrom(a.address(), cmd, from_a.Report());
  ASSERT_TRUE(from_a.WaitFinal(absl::Seconds(30))) << from_a.Last();
  EXPECT_EQ(from_a.Count(v1::CommandStatus::DONE), 1) << from_a.Last();
  handler.HandleFrom(b.address(), cmd, from_b.Report());
  ASSERT_TRUE(from_b.WaitFinal(absl::Seconds(1))) << from_b.Last();
  EXPECT_EQ(from_b.Count(v1::CommandStatus::FAILED), 1) << from_b.Last();
  EXPECT_NE(from_b.Last().find("no longer kept"), std::string::npos) << from_b.Last();
  EXPECT_TRUE(b.Data(id).empty());
  std::error_code ec;
  fs::remove_all(work, ec);
}

// The agent stops (its handler is destroyed) while a bundle is still building: the destructor
// returns once the worker ends, instead of waiting for it while holding what the worker's last
// step needs.
TEST(BundleCommandHandlerStop, DestroyedWhileABundleBuildsReturnsOnceTheWorkerEnds) {
  const std::string work =
      (fs::temp_directory_path() / absl::StrCat("guts-handler-stop-", ::getpid())).string();
  bundle::BundleAgentOptions opts;
  opts.node.node_id = "v1";
  opts.work_dir = work;
  opts.sources = [] {
    bundle::BundleSource slow;
    slow.name = "slow";
    slow.entry = "slow.txt";
    slow.collect = [](const bundle::SourceContext&, bundle::SourceOutput& out) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      out.Write("done\n");
      return absl::OkStatus();
    };
    return std::vector<bundle::BundleSource>{slow};
  };
  auto handler = std::make_unique<bundle::BundleCommandHandler>(std::move(opts));
  v1::Command cmd;
  cmd.set_id("b1");
  cmd.mutable_bundle()->set_bundle_id("b1");
  auto reports = std::make_shared<std::atomic<int>>(0);
  handler->Handle(cmd, [reports](const v1::CommandStatus&) { ++*reports; });
  auto destroyed = std::make_shared<std::atomic<bool>>(false);
  // On a thread of its own, so that a deadlock fails the test instead of hanging it.
  std::thread([h = handler.release(), destroyed] {
    delete h;
    *destroyed = true;
  }).detach();
  for (int i = 0; i < 3000 && !*destroyed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(*destroyed) << "the handler's destructor deadlocked with its worker";
  // ACCEPTED, RUNNING, per-source progress and the final FAILED (no collector to upload to).
  EXPECT_GE(reports->load(), 3);
  std::error_code ec;
  fs::remove_all(work, ec);
}

}  // namespace
}  // namespace guts
