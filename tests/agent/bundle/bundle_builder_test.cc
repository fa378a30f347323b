#include "agent/bundle/bundle_builder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/bundle/sources/catalogue.h"
#include "common/http_server.h"
#include "tests/agent/bundle/test_archive.h"
#include "tests/support/files.h"

namespace guts::bundle {
namespace {

using ::guts::testing::ReadFileOrEmpty;

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "guts-bundle-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const nlohmann::json& SourceIn(const nlohmann::json& manifest, const std::string& name) {
  for (const auto& s : manifest["sources"]) {
    if (s["name"] == name) return s;
  }
  static const nlohmann::json missing = {{"status", "missing"}};
  return missing;
}

// A node API that answers like guts-node (GUTS_NODE.md), leaking a token in one body.
class FakeNodeApi {
 public:
  FakeNodeApi() {
    server_.Get("/health", [] {
      return HttpResponse{503, "application/json", R"({"status":"down","checks":{}})"};
    });
    server_.Get("/health/live", [] {
      return HttpResponse{200, "application/json", R"({"status":"up","uptime_seconds":5})"};
    });
    server_.Get("/api/consensus/status", [] {
      return HttpResponse{200, "application/json",
                          R"({"enabled":true,"state":"Active","view":7,"finalized_height":42,)"
                          R"("api_token":"leaky-token-123"})"};
    });
    server_.Get("/metrics", [] {
      return HttpResponse{200, "text/plain", "guts_http_active_connections 1\n# EOF\n"};
    });
    EXPECT_TRUE(server_.Start("127.0.0.1", 0).ok());
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", server_.port()); }

 private:
  HttpServer server_;
};

TEST(BundleBuilder, DefaultSourcesAgainstAFakeNodeGiveARedactedArchiveAndManifest) {
  FakeNodeApi api;
  TempDir dir;
  fs::create_directories(dir / "data/db");
  WriteFile(dir / "data/db/000001.sst", std::string(1000, 'x'));
  fs::copy_file(std::string(GUTS_BUNDLE_SECRETS_DIR) + "/config.yaml", dir / "config.yaml");
  fs::copy_file(std::string(GUTS_BUNDLE_SECRETS_DIR) + "/node.log", dir / "node.log");

  BundlePlan plan;
  plan.bundle_id = "v1-test-1";
  plan.node.node_id = "v1";
  plan.node.api_url = api.url();
  plan.node.log_file = dir / "node.log";
  plan.node.data_dir = dir / "data";
  plan.node.config_paths = {dir / "config.yaml"};
  plan.node.node_pid = ::getpid();
  plan.node.agent_state = [] {
    AgentState s;
    s.config_text = "collector: 127.0.0.1:7400\ntls_key: /etc/guts-agent/agent.key\ntoken: abc123";
    s.recent_errors = {"collector unreachable"};
    s.recent_snapshots_json = {R"({"seq":1})", R"({"seq":2})"};
    return s;
  };
  plan.sources = DefaultBundleSources();
  plan.since = absl::Hours(24 * 365 * 10);
  plan.work_dir = dir / "out";
  uint32_t progress_calls = 0;
  plan.on_progress = [&](uint32_t, uint32_t total) {
    ++progress_calls;
    EXPECT_EQ(total, plan.sources.size());
  };
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(progress_calls, plan.sources.size());

  const auto entries = testing::ReadArchive(built->archive_path);
  ASSERT_TRUE(entries.count("manifest.json"));
  const nlohmann::json manifest = nlohmann::json::parse(entries.at("manifest.json"));
  EXPECT_EQ(manifest["sources"].size(), plan.sources.size());
  EXPECT_EQ(SourceIn(manifest, "node_api.consensus_status")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "node_api.consensus_status")["redactions"], 1);
  // A 503 body is evidence, not a failure.
  EXPECT_EQ(SourceIn(manifest, "node_api.health")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "node_api.metrics")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "node_config")["status"], "ok");
  EXPECT_GE(SourceIn(manifest, "node_config")["redactions"], 5);
  EXPECT_EQ(SourceIn(manifest, "node_log")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "system.facts")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "node_process")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "data_dir")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "agent.state")["status"], "ok");
  EXPECT_EQ(SourceIn(manifest, "agent.snapshots")["status"], "ok");
  EXPECT_EQ(built->summary.sources_timed_out(), 0u);
  EXPECT_GT(built->summary.redactions(), 10u);
  EXPECT_EQ(manifest["redactions"], built->summary.redactions());

  EXPECT_TRUE(
      absl::StrContains(entries.at("node/api/consensus_status.json"), "\"finalized_height\":42"));
  EXPECT_TRUE(absl::StrContains(entries.at("node/data_dir.txt"), "f 1000 db/000001.sst"));
  EXPECT_TRUE(absl::StrContains(entries.at("agent/snapshots.jsonl"), "{\"seq\":2}"));
  EXPECT_TRUE(absl::StrContains(entries.at("system/facts.json"), "\"meminfo\""));

  // Nothing in the corpus survives anywhere in the archive.
  for (absl::string_view line : absl::StrSplit(
           ReadFileOrEmpty(std::string(GUTS_BUNDLE_SECRETS_DIR) + "/expected.txt"), '\n')) {
    if (line.empty() || line[0] == '#' || absl::StartsWith(line, "count ")) continue;
    for (const auto& [name, data] : entries) {
      EXPECT_FALSE(absl::StrContains(data, line)) << name << " leaks " << line;
    }
  }
  for (const auto& [name, data] : entries) {
    EXPECT_FALSE(absl::StrContains(data, "leaky-token-123")) << name;
    EXPECT_FALSE(absl::StrContains(data, "abc123")) << name;
  }
  // Every entry's checksum in the manifest matches its bytes.
  for (const auto& s : manifest["sources"]) {
    if (s["bytes"] == 0) continue;
    ASSERT_TRUE(entries.count(s["entry"].get<std::string>())) << s["entry"];
    EXPECT_EQ(entries.at(s["entry"].get<std::string>()).size(), s["bytes"].get<uint64_t>());
  }
}

// inotify reports every open of a watched inode, FIFOs included; stat() and realpath() do not
// open, so an empty event queue proves the file was never opened.
class OpenWatch {
 public:
  explicit OpenWatch(const std::vector<std::string>& paths) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    for (const std::string& p : paths)
      EXPECT_GE(::inotify_add_watch(fd_, p.c_str(), IN_OPEN), 0) << p;
  }
  ~OpenWatch() { ::close(fd_); }
  int Opens() const {
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    return n > 0 ? static_cast<int>(n / sizeof(inotify_event)) : 0;
  }

 private:
  int fd_;
};

TEST(BundleBuilder, KeyFilesOnTheDenyListAreNeverOpened) {
  TempDir dir;
  fs::create_directories(dir / "data");
  // A FIFO would block any reader forever: a bundle that opened it would never finish.
  ASSERT_EQ(::mkfifo((dir / "data/node.key").c_str(), 0600), 0);
  WriteFile(dir / "data/validator.key", "0123456789abcdef-secret-key-bytes");
  // Not a deny-listed name: denied only because the node's configuration names it.
  WriteFile(dir / "identity.bin", "identity-secret-bytes");
  WriteFile(dir / "config.yaml", absl::StrCat("p2p:\n  key_file: ", dir / "identity.bin", "\n"));
  ::symlink((dir / "data/validator.key").c_str(), (dir / "innocent.txt").c_str());
  OpenWatch watch({dir / "data/node.key", dir / "data/validator.key", dir / "identity.bin"});

  BundlePlan plan;
  plan.bundle_id = "deny";
  plan.node.data_dir = dir / "data";
  plan.node.config_paths = {dir / "config.yaml", dir / "data/node.key"};
  plan.sources = SelectSources(DefaultBundleSources(), {"node_config", "data_dir"});
  // A careless source that tries to read every key file it can find.
  for (const std::string& path : {dir / "data/node.key", dir / "data/validator.key",
                                  dir / "identity.bin", dir / "innocent.txt"}) {
    BundleSource s;
    s.name = "careless." + fs::path(path).filename().string();
    s.entry = "careless/" + fs::path(path).filename().string();
    s.timeout = absl::Seconds(20);
    s.collect = [path](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
      if (ctx.deny.Denies(path)) return absl::PermissionDeniedError(path + " denied");
      std::ifstream in(path);  // blocks forever on the FIFO
      std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      out.Write(all);
      return absl::OkStatus();
    };
    plan.sources.push_back(s);
  }
  plan.work_dir = dir / "out";
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(watch.Opens(), 0);
  EXPECT_EQ(built->summary.sources_timed_out(), 0u);
  const auto entries = testing::ReadArchive(built->archive_path);
  const nlohmann::json manifest = nlohmann::json::parse(entries.at("manifest.json"));
  for (const char* name : {"careless.node.key", "careless.validator.key", "careless.identity.bin",
                           "careless.innocent.txt"}) {
    EXPECT_EQ(SourceIn(manifest, name)["status"], "failed") << name;
  }
  // The listing names the key file (names and sizes only) without opening it.
  EXPECT_TRUE(absl::StrContains(entries.at("node/data_dir.txt"), "node.key"));
  for (const auto& [name, data] : entries) {
    EXPECT_FALSE(absl::StrContains(data, "secret-key-bytes")) << name;
    EXPECT_FALSE(absl::StrContains(data, "identity-secret-bytes")) << name;
  }
}

TEST(BundleBuilder, HungSourceIsMarkedTimedOutWithinItsTimeoutAndOthersComplete) {
  TempDir dir;
  struct Latch {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    bool finished = false;
  };
  auto latch = std::make_shared<Latch>();
  BundlePlan plan;
  plan.bundle_id = "hung";
  BundleSource hung;
  hung.name = "hung";
  hung.entry = "hung.txt";
  hung.timeout = absl::Milliseconds(300);
  hung.collect = [latch](const SourceContext&, SourceOutput& out) -> absl::Status {
    out.Write("partial\n");
    std::unique_lock<std::mutex> lock(latch->mu);
    latch->cv.wait_for(lock, std::chrono::seconds(60), [&] { return latch->open; });
    out.Write("written after the bundle was finished\n");
    latch->finished = true;
    latch->cv.notify_all();
    return absl::OkStatus();
  };
  BundleSource quick;
  quick.name = "quick";
  quick.entry = "quick.txt";
  quick.collect = [](const SourceContext&, SourceOutput& out) -> absl::Status {
    out.Write("hello\n");
    return absl::OkStatus();
  };
  plan.sources = {hung, quick};
  plan.work_dir = dir / "out";
  const absl::Time start = absl::Now();
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(built.ok()) << built.status();
  // The bundle waits for the hung source only as long as its timeout (plus archive time).
  EXPECT_LT(took, absl::Milliseconds(300) + absl::Seconds(5));
  EXPECT_EQ(built->summary.sources_timed_out(), 1u);
  EXPECT_EQ(built->summary.sources_ok(), 1u);
  const auto entries = testing::ReadArchive(built->archive_path);
  EXPECT_EQ(entries.count("hung.txt"), 0u);
  EXPECT_EQ(entries.at("quick.txt"), "hello\n");
  const nlohmann::json manifest = nlohmann::json::parse(entries.at("manifest.json"));
  EXPECT_EQ(SourceIn(manifest, "hung")["status"], "timed_out");
  EXPECT_TRUE(
      absl::StrContains(SourceIn(manifest, "hung")["error"].get<std::string>(), "abandoned"));
  // Release the abandoned thread: it finishes on state it co-owns (ASan would flag otherwise).
  built = absl::InternalError("dropped");
  std::unique_lock<std::mutex> lock(latch->mu);
  latch->open = true;
  latch->cv.notify_all();
  EXPECT_TRUE(latch->cv.wait_for(lock, std::chrono::seconds(30), [&] { return latch->finished; }));
}

TEST(BundleBuilder, LogWindowKeepsLinesSinceAndTheNewestWhenCapped) {
  TempDir dir;
  const absl::Time now = absl::Now();
  std::string log;
  for (int i = 0; i < 10; ++i) {
    const absl::Time t = now - absl::Hours(10 - i);  // 10 h ago .. 1 h ago
    log += absl::StrCat(R"({"timestamp":")",
                        absl::FormatTime("%Y-%m-%dT%H:%M:%S.000Z", t, absl::UTCTimeZone()),
                        R"(","fields":{"message":"line )", i, "\"}}\n");
  }
  WriteFile(dir / "node.log", log);
  BundlePlan plan;
  plan.bundle_id = "window";
  plan.node.log_file = dir / "node.log";
  plan.sources = {NodeLogSource()};
  plan.since = absl::Hours(3) + absl::Minutes(30);  // lines 7, 8, 9
  plan.work_dir = dir / "out";
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  ASSERT_TRUE(built.ok());
  std::string kept = testing::ReadArchive(built->archive_path).at("node/node.log");
  EXPECT_FALSE(absl::StrContains(kept, "line 6")) << kept;
  EXPECT_TRUE(absl::StrContains(kept, "line 7")) << kept;
  EXPECT_TRUE(absl::StrContains(kept, "line 9")) << kept;

  plan.sources[0].max_bytes = 100;  // room for about one line: the newest is kept
  plan.bundle_id = "window-capped";
  built = BuildBundle(plan);
  ASSERT_TRUE(built.ok());
  kept = testing::ReadArchive(built->archive_path).at("node/node.log");
  EXPECT_TRUE(absl::StrContains(kept, "line 9")) << kept;
  EXPECT_FALSE(absl::StrContains(kept, "line 7")) << kept;
  EXPECT_EQ(built->summary.sources(0).status(), "truncated");
}

TEST(BundleBuilder, MissingLogIsAFailedSourceNotAFailedBundle) {
  TempDir dir;
  BundlePlan plan;
  plan.bundle_id = "nolog";
  plan.node.log_file = dir / "absent.log";
  plan.sources = {NodeLogSource()};
  plan.work_dir = dir / "out";
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->summary.sources(0).status(), "failed");
  EXPECT_TRUE(absl::StrContains(built->summary.sources(0).error(), "absent.log"));
}

TEST(BundleBuilder, UnsafeEntryOrIdIsRefusedBeforeAnythingRuns) {
  BundlePlan plan;
  plan.bundle_id = "../x";
  plan.work_dir = "/tmp";
  EXPECT_EQ(BuildBundle(plan).status().code(), absl::StatusCode::kInvalidArgument);
  plan.bundle_id = "ok";
  BundleSource bad;
  bad.name = "bad";
  bad.entry = "../../etc/passwd";
  bad.collect = [](const SourceContext&, SourceOutput&) { return absl::OkStatus(); };
  plan.sources = {bad};
  EXPECT_EQ(BuildBundle(plan).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BundleBuilder, A200MbLogStreamsThroughWithBoundedMemory) {
  TempDir dir;
  {
    std::ofstream out(dir / "node.log", std::ios::binary);
    const std::string stamp = absl::FormatTime("%Y-%m-%dT%H:%M:%S.000Z",
                                               absl::Now() - absl::Minutes(5), absl::UTCTimeZone());
    std::string block;
    for (int i = 0; block.size() < (1 << 20); ++i) {
      block += absl::StrCat(
          R"({"timestamp":")", stamp,
          R"(","level":"INFO","target":"guts_node::consensus","fields":{"message":"processed finalized block","height":)",
          i, "}}\n");
    }
    for (int i = 0; i < 200; ++i) out.write(block.data(), block.size());
  }
  const uint64_t size = fs::file_size(dir / "node.log");
  ASSERT_GE(size, 200ull << 20);
  BundlePlan plan;
  plan.bundle_id = "big";
  plan.node.log_file = dir / "node.log";
  plan.sources = {NodeLogSource()};
  plan.sources[0].max_bytes = 256ull << 20;
  plan.sources[0].timeout = absl::Minutes(5);
  plan.work_dir = dir / "out";
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->summary.sources(0).status(), "ok") << built->summary.sources(0).error();
  EXPECT_EQ(built->summary.sources(0).bytes(), size);
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const long peak_mb = usage.ru_maxrss / 1024;
  EXPECT_LT(peak_mb, 100) << "peak RSS " << peak_mb << " MB while bundling a " << (size >> 20)
                          << " MB log";
}

}  // namespace
}  // namespace guts::bundle
