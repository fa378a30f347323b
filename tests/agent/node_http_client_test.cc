#include "agent/node_http_client.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/http_server.h"
#include "gtest/gtest.h"

namespace guts::agent {
namespace {

// A node API stand-in on a free loopback port. Each connection serves one request (the
// server's rule), so consecutive GETs also prove that the client reconnects.
class NodeHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/health/ready", [] { return HttpResponse{503, "text/plain", "not ready\n"}; });
    server_.Get("/slow", [] {
      absl::SleepFor(absl::Seconds(2));
      return HttpResponse{200, "text/plain", "late\n"};
    });
    server_.Get("/huge", [] { return HttpResponse{200, "text/plain", std::string(9 << 20, 'x')}; });
    server_.Get("/metrics", [] {
      return HttpResponse{200, "text/plain", std::string(256 << 10, 'm')};
    });
    ASSERT_TRUE(server_.Start("127.0.0.1", 0).ok());
    base_ = absl::StrCat("http://127.0.0.1:", server_.port());
  }

  HttpServer server_;
  std::string base_;
};

TEST_F(NodeHttpClientTest, NotReadyIsAReplyWithItsStatusAndBodyTwiceInARow) {
  NodeHttpClient http;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<HttpReply> reply = http.Get(base_ + "/health/ready", absl::Seconds(5));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->status, 503);
    EXPECT_EQ(reply->body, "not ready\n");
  }
}

TEST_F(NodeHttpClientTest, SlowNodeIsCutOffAtTheTimeout) {
  NodeHttpClient http;
  absl::Time begin = absl::Now();
  absl::StatusOr<HttpReply> reply = http.Get(base_ + "/slow", absl::Milliseconds(200));
  EXPECT_TRUE(absl::IsUnavailable(reply.status())) << reply.status();
  EXPECT_LT(absl::Now() - begin, absl::Milliseconds(1500));
  absl::StatusOr<long> code =
      http.GetTo(base_ + "/slow", absl::Milliseconds(200), [](absl::string_view) { return true; });
  EXPECT_TRUE(absl::IsDeadlineExceeded(code.status())) << code.status();
}

TEST_F(NodeHttpClientTest, BodyOverEightMiBIsAnError) {
  NodeHttpClient http;
  absl::StatusOr<HttpReply> reply = http.Get(base_ + "/huge", absl::Seconds(10));
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.status().message().find("body over"), absl::string_view::npos);
  // The next request on the same client starts on a fresh connection.
  EXPECT_TRUE(http.Get(base_ + "/health/ready", absl::Seconds(5)).ok());
}

TEST_F(NodeHttpClientTest, GetToStopsWhenTheReaderHasEnoughWithoutAnError) {
  NodeHttpClient http;
  size_t received = 0;
  absl::StatusOr<long> code =
      http.GetTo(base_ + "/metrics", absl::Seconds(5), [&](absl::string_view piece) {
        received += piece.size();
        return received < 1000;
      });
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 200);
  EXPECT_LT(received, size_t{256 << 10});
}

TEST(NodeHttpClientRefusedTest, NothingListeningIsUnavailableWithTheUrl) {
  NodeHttpClient http;
  absl::StatusOr<HttpReply> reply = http.Get("http://127.0.0.1:1/health", absl::Seconds(2));
  EXPECT_TRUE(absl::IsUnavailable(reply.status())) << reply.status();
  EXPECT_NE(reply.status().message().find("GET http://127.0.0.1:1/health"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace guts::agent
