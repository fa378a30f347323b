// Garbage on the wire: random bytes, a truncated HTTP/2 preface and huge headers on the
// collector's gRPC port and on the agent's HTTP port leave both processes up and still serving
// (the collector's HTTP port is left out: reaching it from this test failed; see docs/security.md).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/files.h"

namespace guts {
namespace {

using ::guts::testing::ReadFileOrEmpty;

namespace v1 = ::guts::diag::v1;
using testing::BinaryPath;
using testing::ChildProcess;

struct Endpoint {
  std::string host;
  int port = 0;
};

Endpoint ParseEndpoint(const std::string& text) {
  absl::StatusOr<HostPort> addr = ParseHostPort(text);
  EXPECT_TRUE(addr.ok()) << addr.status();
  if (!addr.ok()) return {};
  return Endpoint{.host = addr->host, .port = addr->port};
}

int Connect(const Endpoint& to) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{.tv_sec = 3, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(to.port));
  inet_pton(AF_INET, to.host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Writes `bytes` on a fresh connection, reads whatever comes back until the peer closes or
// goes quiet, and returns it.
// Sends `bytes` and reads until the peer closes. `half_close` shuts our side for writing first,
// which ends garbage connections at once; a real request must not do that, because the HTTP
// server then takes the client for gone and answers nothing.
std::string Send(const Endpoint& to, const std::string& bytes, bool half_close = true) {
  // A refused connection is no failure here: what counts is that the process is up after.
  int fd = Connect(to);
  if (fd < 0) return "";
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the peer may well hang up on garbage
    sent += static_cast<size_t>(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[4096];
  while (true) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return reply;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

void Hammer(const Endpoint& port) {
  for (uint32_t seed = 1; seed <= 8; ++seed) Send(port, RandomBytes(64 << 10, seed));
  Send(port, "PRI * HTTP/2.0\r\n\r\nSM\r");  // truncated HTTP/2 connection preface
  Send(port, std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + RandomBytes(4096, 99));
  Send(port, absl::StrCat("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: ", std::string(1 << 20, 'a'),
                          "\r\n\r\n"));
  std::string many_headers = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&many_headers, "X-", i, ": y\r\n");
  Send(port, many_headers + "\r\n");
  Send(port, "GET /" + std::string(1 << 20, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  Send(port, "POST /admin/compact HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nab");
  Send(port, "\x16\x03\x01\xff\xff" + RandomBytes(2000, 7));  // a TLS record that lies
}

bool HealthzAnswers(const Endpoint& http) {
  std::string reply = Send(http, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                           /*half_close=*/false);
  return reply.rfind("HTTP/1.1 200", 0) == 0;
}

int FreePort(const std::string& host) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(HostileInputTest, GarbageOnEveryPortLeavesCollectorAndAgentServing) {
  std::string dir = testing::FreshTempDir("security-hostile");
  std::string certs = dir + "/certs";
  ASSERT_EQ(std::system(absl::StrCat(GUTS_SOURCE_DIR, "/scripts/mint-dev-certs.sh ", certs,
                                     " v1 2>/dev/null")
                            .c_str()),
            0);
  ChildProcess collector({BinaryPath("guts-collector"), "--grpc-addr", "127.0.0.1:0", "--http-addr",
                          "127.0.0.1:0", "--data-dir", dir + "/data", "--ready-file",
                          dir + "/ready.json", "--tls-cert", certs + "/collector.crt", "--tls-key",
                          certs + "/collector.key", "--tls-ca", certs + "/ca.crt"},
                         dir + "/collector.log");
  absl::StatusOr<std::string> ready =
      testing::WaitForReadyFile(dir + "/ready.json", absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status() << ReadFileOrEmpty(dir + "/collector.log");
  nlohmann::json addresses = nlohmann::json::parse(*ready);
  Endpoint grpc_port = ParseEndpoint(addresses["grpc"].get<std::string>());
  Endpoint collector_http = ParseEndpoint(addresses["http"].get<std::string>());
  ASSERT_TRUE(HealthzAnswers(collector_http)) << ReadFileOrEmpty(dir + "/collector.log");

  // The agent watches a node that is not there; its own HTTP port is what gets hammered.
  Endpoint agent_http{.host = "127.0.97.1", .port = FreePort("127.0.97.1")};
  ChildProcess agent({BinaryPath("guts-agent"),
                      "--collector",
                      addresses["grpc"].get<std::string>(),
                      "--node-id",
                      "v1",
                      "--node-api",
                      "http://127.0.97.2:8080",
                      "--node-p2p-addr",
                      "127.0.97.2:9000",
                      "--node-data-dir",
                      dir,
                      "--node-log-file",
                      dir + "/node.log",
                      "--state-dir",
                      dir + "/agent",
                      "--http-addr",
                      absl::StrCat(agent_http.host, ":", agent_http.port),
                      "--tls-cert",
                      certs + "/agent-v1.crt",
                      "--tls-key",
                      certs + "/agent-v1.key",
                      "--tls-ca",
                      certs + "/ca.crt"},
                     dir + "/agent.log");
  bool agent_up = false;
  for (int i = 0; i < 100 && !agent_up; ++i) {
    agent_up = HealthzAnswers(agent_http);
    if (!agent_up) usleep(100 * 1000);
  }
  ASSERT_TRUE(agent_up) << ReadFileOrEmpty(dir + "/agent.log");

  Hammer(grpc_port);
  Hammer(collector_http);
  Hammer(agent_http);

  EXPECT_TRUE(collector.Running()) << ReadFileOrEmpty(dir + "/collector.log");
  EXPECT_TRUE(agent.Running()) << ReadFileOrEmpty(dir + "/agent.log");
  EXPECT_TRUE(HealthzAnswers(agent_http));
  EXPECT_TRUE(HealthzAnswers(collector_http));

  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFileOrEmpty(certs + "/ca.crt");
  options.pem_cert_chain = ReadFileOrEmpty(certs + "/operator.crt");
  options.pem_private_key = ReadFileOrEmpty(certs + "/operator.key");
  auto stub = v1::FleetService::NewStub(
      grpc::CreateChannel(addresses["grpc"].get<std::string>(), grpc::SslCredentials(options)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::FleetStatus status;
  grpc::Status s = stub->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace guts
