// The collector's admin endpoints refuse every caller that is not on loopback, whatever the
// headers claim, while probes and scrapes from the same caller are answered. The caller is real:
// the test moves into a private network namespace it creates, gives its loopback a second,
// non-loopback address (10.61.0.1), and connects from it to the real guts-collector there.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/files.h"
#include "tests/support/private_network.h"
#include "tests/support/wait_until.h"

namespace guts {
namespace {

using ::guts::testing::BinaryPath;
using ::guts::testing::ChildProcess;
using ::guts::testing::EnterPrivateNetworkNamespace;
using ::guts::testing::FreshTempDir;
using ::guts::testing::ReadFileOrEmpty;
using ::guts::testing::Shell;
using ::guts::testing::WaitForReadyFile;
using ::guts::testing::WaitUntil;

constexpr char kRemote[] = "10.61.0.1";  // on this namespace's loopback device, not loopback

httplib::Result Post(const std::string& host, int port, const httplib::Headers& headers = {}) {
  httplib::Client client(host, port);
  client.set_connection_timeout(10);
  client.set_read_timeout(60);  // a compaction that does run takes a moment
  return client.Post("/admin/compact", headers, "", "text/plain");
}

TEST(AdminRemoteCaller, RefusedWhateverTheHeadersSayWhileProbesAndScrapesAnswer) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace (not root)";
  absl::Status private_network = EnterPrivateNetworkNamespace();
  ASSERT_TRUE(private_network.ok()) << private_network;
  ::guts::testing::ShellResult added = Shell(absl::StrCat("ip addr add ", kRemote, "/32 dev lo"));
  ASSERT_EQ(added.exit_code, 0) << added.output;

  std::string dir = FreshTempDir("admin-remote-caller");
  // Listening on every address, as a collector whose HTTP port is exposed for probes does.
  ChildProcess collector(
      {BinaryPath("guts-collector"), "--insecure", "--grpc-addr", "127.0.0.1:0", "--http-addr",
       "0.0.0.0:0", "--data-dir", dir + "/data", "--ready-file", dir + "/ready"},
      dir + "/collector.log");
  ASSERT_TRUE(collector.ok()) << collector.error();
  absl::StatusOr<std::string> ready = WaitForReadyFile(dir + "/ready", absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  absl::StatusOr<HostPort> http =
      ParseHostPort(nlohmann::json::parse(*ready)["http"].get<std::string>());
  ASSERT_TRUE(http.ok()) << http.status();
  const int port = http->port;

  // From the non-loopback address: refused, also when the headers claim a loopback client.
  for (const httplib::Headers& claims :
       {httplib::Headers{},
        httplib::Headers{{"X-Forwarded-For", "127.0.0.1"}, {"X-Real-IP", "127.0.0.1"}},
        httplib::Headers{{"Forwarded", "for=127.0.0.1"}, {"Host", "127.0.0.1"}}}) {
    httplib::Result r = Post(kRemote, port, claims);
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 403) << r->body;
    EXPECT_NE(r->body.find("only loopback callers"), std::string::npos) << r->body;
  }
  // The operator's log names the refused caller.
  const std::string refused = absl::StrCat("refused POST /admin/compact from ", kRemote);
  EXPECT_TRUE(WaitUntil(
      [&] { return ReadFileOrEmpty(dir + "/collector.log").find(refused) != std::string::npos; },
      absl::Seconds(10)))
      << ReadFileOrEmpty(dir + "/collector.log");

  // The same caller's probes and scrapes are answered: the port is exposed for them.
  httplib::Client remote(kRemote, port);
  remote.set_connection_timeout(10);
  remote.set_read_timeout(10);
  httplib::Result metrics = remote.Get("/metrics");
  ASSERT_TRUE(metrics) << httplib::to_string(metrics.error());
  EXPECT_EQ(metrics->status, 200);
  httplib::Result healthz = remote.Get("/healthz");
  ASSERT_TRUE(healthz) << httplib::to_string(healthz.error());
  EXPECT_EQ(healthz->status, 200);

  // From loopback, on the same port, the compaction runs (no tokens file: loopback suffices).
  httplib::Result local = Post("127.0.0.1", port);
  ASSERT_TRUE(local) << httplib::to_string(local.error());
  EXPECT_EQ(local->status, 200) << local->body;
  EXPECT_NE(local->body.find("snapshots_sst_bytes"), std::string::npos) << local->body;
  EXPECT_TRUE(collector.Running());
}

}  // namespace
}  // namespace guts
