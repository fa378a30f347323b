#include "common/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

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

}  // namespace
}  // namespace guts
