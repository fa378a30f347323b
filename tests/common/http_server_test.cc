#include "common/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/time/clock.h"

namespace guts {
namespace {

TEST(HttpServer, ServesRegisteredPathsAnd404sOthers) {
  HttpServer http;
  http.Get("/healthz", [] { return HttpResponse{200, "text/plain", "ok\n"}; });
  http.Get("/echo", [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", r.param("x")};
  });
  ASSERT_TRUE(http.Start("127.0.0.1", 0).ok());
  ASSERT_GT(http.port(), 0);

  httplib::Client client("127.0.0.1", http.port());
  auto ok = client.Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ok\n");
  auto echo = client.Get("/echo?x=abc");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->body, "abc");
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  http.Stop();
}

TEST(HttpServer, BindConflictIsUnavailable) {
  HttpServer first;
  ASSERT_TRUE(first.Start("127.0.0.1", 0).ok());
  HttpServer second;
  absl::Status s = second.Start("127.0.0.1", first.port());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

// A connection to 127.0.0.1:port that sent `bytes` and nothing more.
int SlowClient(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  return fd;
}

// Reads `fd` until the server ends the connection (or `timeout` passes) and says whether it
// did: EOF or a reset, not the read timeout.
bool ServerClosed(int fd, int timeout_s) {
  char buf[4096];
  timeval tv{.tv_sec = timeout_s, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
  }
  return n == 0 || errno == ECONNRESET;
}

TEST(HttpServer, ClientsDrippingHeadersCannotHoldEveryWorker) {
  // Two workers, both taken by clients that never finish their request: the deadline frees
  // them, and probes behind them are answered.
  HttpServer http({.threads = 2, .request_deadline = absl::Seconds(1)});
  http.Get("/healthz", [] { return HttpResponse{200, "text/plain", "ok\n"}; });
  ASSERT_TRUE(http.Start("127.0.0.1", 0).ok());
  std::vector<int> slow;
  for (int i = 0; i < 6; ++i) slow.push_back(SlowClient(http.port(), "GET /healthz HTTP/1.1\r\n"));
  // A probe queued behind them longer than the deadline is cut with them (the deadline runs
  // from accept); a probe sent like kubelet's, once a second, is answered once they are cut.
  absl::Time start = absl::Now();
  httplib::Client client("127.0.0.1", http.port());
  client.set_read_timeout(10, 0);
  httplib::Result ok = client.Get("/healthz");
  while (!ok && absl::Now() - start < absl::Seconds(8)) {
    absl::SleepFor(absl::Seconds(1));
    ok = client.Get("/healthz");
  }
  ASSERT_TRUE(ok) << httplib::to_string(ok.error()) << " after " << (absl::Now() - start);
  EXPECT_EQ(ok->status, 200);
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
  // The slow clients were cut (perhaps after an error answer): their connections end, they
  // do not wait.
  for (int fd : slow) {
    EXPECT_TRUE(ServerClosed(fd, 5)) << "the connection was left open";
    close(fd);
  }
  http.Stop();
}

TEST(HttpServer, AClientDrippingAfterAnIdleSpellIsCutAtTheDeadline) {
  // The watchdog does not list the process's fds while no connection is open; a slow client
  // arriving after such a spell is still cut at the deadline.
  // (A long read timeout: the deadline, not the timeout, must end the connection.)
  HttpServer http(
      {.threads = 1, .request_deadline = absl::Seconds(1), .read_timeout = absl::Seconds(20)});
  http.Get("/healthz", [] { return HttpResponse{200, "text/plain", "ok\n"}; });
  ASSERT_TRUE(http.Start("127.0.0.1", 0).ok());
  absl::SleepFor(absl::Milliseconds(2500));  // idle scans
  absl::Time start = absl::Now();
  int fd = SlowClient(http.port(), "GET /healthz HTTP/1.1\r\n");
  EXPECT_TRUE(ServerClosed(fd, 15)) << "the connection was left open";
  // First seen by a watchdog round within a second, cut by a round past the 1 s deadline.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  close(fd);
  // And the server still answers.
  httplib::Client client("127.0.0.1", http.port());
  httplib::Result ok = client.Get("/healthz");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  http.Stop();
}

TEST(HttpServer, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.3.2.1"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.7"));
  EXPECT_FALSE(IsLoopbackAddress("::ffff:10.0.0.7"));
  EXPECT_FALSE(IsLoopbackAddress("1270.0.0.1"));
}

}  // namespace
}  // namespace guts
