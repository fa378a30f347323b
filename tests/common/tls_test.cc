// mTLS between real gRPC endpoints with certificates minted by scripts/mint-dev-certs.sh.
#include "common/tls.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "guts/diag/v1/fleet.grpc.pb.h"

namespace guts {
namespace {

namespace v1 = ::guts::diag::v1;

// Answers with the caller's certificate identity, so the test sees what the server saw.
class WhoAmI final : public v1::FleetService::Service {
  grpc::Status GetFleetStatus(grpc::ServerContext* context, const v1::FleetStatusRequest*,
                              v1::FleetStatus* out) override {
    out->mutable_collector()->set_version(PeerCommonName(*context));
    return grpc::Status::OK;
  }
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(std::filesystem::temp_directory_path() /
                           absl::StrCat("guts-tls-test-", getpid()));
    std::string mint = absl::StrCat(GUTS_SOURCE_DIR, "/scripts/mint-dev-certs.sh ");
    ASSERT_EQ(std::system((mint + *dir_ + " v1 2>/dev/null").c_str()), 0);
    ASSERT_EQ(std::system((mint + *dir_ + "/foreign v1 2>/dev/null").c_str()), 0);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    TlsOptions server{.cert_file = Path("collector.crt"),
                      .key_file = Path("collector.key"),
                      .ca_file = Path("ca.crt")};
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = ServerCredentials(server);
    ASSERT_TRUE(creds.ok()) << creds.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *creds, &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  grpc::Status Call(std::shared_ptr<grpc::ChannelCredentials> creds, std::string* who) {
    grpc::ChannelArguments args;
    auto channel =
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_), std::move(creds), args);
    auto stub = v1::FleetService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::FleetStatus status;
    grpc::Status s = stub->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
    *who = status.collector().version();
    return s;
  }

  static std::string* dir_;
  WhoAmI service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

std::string* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, AgentCertificateGivesNodeId) {
  auto creds = ClientCredentials({.cert_file = Path("agent-v1.crt"),
                                  .key_file = Path("agent-v1.key"),
                                  .ca_file = Path("ca.crt")});
  ASSERT_TRUE(creds.ok()) << creds.status();
  std::string who;
  grpc::Status s = Call(*creds, &who);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(who, "v1");
}

TEST_F(TlsTest, ClientWithoutCertificateIsRefused) {
  grpc::SslCredentialsOptions only_ca;
  std::ifstream ca(Path("ca.crt"));
  only_ca.pem_root_certs.assign(std::istreambuf_iterator<char>(ca), {});
  std::string who;
  grpc::Status s = Call(grpc::SslCredentials(only_ca), &who);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(who, "");
}

TEST_F(TlsTest, CertificateFromForeignCaIsRefused) {
  auto creds = ClientCredentials({.cert_file = Path("foreign/agent-v1.crt"),
                                  .key_file = Path("foreign/agent-v1.key"),
                                  .ca_file = Path("ca.crt")});
  ASSERT_TRUE(creds.ok());
  std::string who;
  EXPECT_FALSE(Call(*creds, &who).ok());
  EXPECT_EQ(who, "");
}

TEST_F(TlsTest, PlainTextClientIsRefusedByTlsServer) {
  std::string who;
  EXPECT_FALSE(Call(grpc::InsecureChannelCredentials(), &who).ok());
}

TEST(TlsOptions, MissingFilesNameTheFlag) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> none = ServerCredentials({});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("--tls-cert is required unless --insecure"),
            std::string::npos);
  auto unreadable =
      ClientCredentials({.cert_file = "/nonexistent/a.crt", .key_file = "/x", .ca_file = "/y"});
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unreadable.status().message().find("/nonexistent/a.crt"), std::string::npos);
}

TEST(TlsOptions, InsecureNeedsNoFiles) {
  EXPECT_TRUE(ServerCredentials({.insecure = true}).ok());
  EXPECT_TRUE(ClientCredentials({.insecure = true}).ok());
}

}  // namespace
}  // namespace guts
