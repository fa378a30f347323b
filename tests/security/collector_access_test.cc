// Identity and roles against the real guts-collector over mTLS, with certificates minted by
// scripts/mint-dev-certs.sh: a node cannot speak for another, a viewer reads but cannot
// collect, and clients without a valid certificate (none, expired) are refused.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/tls.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "guts/diag/v1/agent.grpc.pb.h"
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
using ::testing::HasSubstr;

void Shell(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

// Mints the dev CA, certificates for v1 and v2, and a viewer certificate that expired in 2020
// (openssl ca with an explicit past -startdate/-enddate).
void MintCertificates(const std::string& dir) {
  Shell(absl::StrCat(GUTS_SOURCE_DIR, "/scripts/mint-dev-certs.sh ", dir, " v1 v2 2>/dev/null"));
  std::ofstream(dir + "/ca.cnf") << "[ca]\ndefault_ca = dev\n"
                                 << "[dev]\ndatabase = " << dir << "/index.txt\n"
                                 << "new_certs_dir = " << dir << "\nserial = " << dir
                                 << "/serial\ndefault_md = sha256\npolicy = any\n"
                                 << "email_in_dn = no\n"
                                 << "[any]\ncommonName = supplied\n"
                                 << "organizationalUnitName = optional\n"
                                 << "organizationName = optional\n";
  std::ofstream(dir + "/index.txt");
  std::ofstream(dir + "/serial") << "1000\n";
  Shell(absl::StrCat("cd ", dir,
                     " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                     " -subj '/O=guts-diag dev/OU=viewer/CN=old-viewer' -keyout expired.key"
                     " -out expired.csr 2>/dev/null"
                     " && openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key"
                     " -in expired.csr -out expired.crt -notext"
                     " -startdate 20200101000000Z -enddate 20200102000000Z 2>/dev/null"));
}

class CollectorAccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::FreshTempDir("security-access"));
    MintCertificates(*dir_ + "/certs");
    // viewer-token and operator-token, stored as their SHA-256.
    Shell(absl::StrCat("cd ", *dir_, " && { printf 'viewer %s grafana\\n' $(printf %s ",
                       "viewer-token | sha256sum | cut -d' ' -f1);",
                       " printf 'operator %s oncall\\n' $(printf %s operator-token | sha256sum",
                       " | cut -d' ' -f1); } > tokens"));
    collector_ = new ChildProcess(
        {BinaryPath("guts-collector"), "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
         "--data-dir", *dir_ + "/data", "--ready-file", *dir_ + "/ready.json", "--tls-cert",
         Cert("collector.crt"), "--tls-key", Cert("collector.key"), "--tls-ca", Cert("ca.crt"),
         "--tokens-file", *dir_ + "/tokens", "--audit-log", *dir_ + "/audit.log"},
        *dir_ + "/collector.log");
    absl::StatusOr<std::string> ready =
        testing::WaitForReadyFile(*dir_ + "/ready.json", absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready.status() << ReadFileOrEmpty(*dir_ + "/collector.log");
    address_ = new std::string(nlohmann::json::parse(*ready)["grpc"].get<std::string>());
  }
  static void TearDownTestSuite() {
    delete collector_;
    collector_ = nullptr;
  }

  static std::string Cert(const std::string& name) { return *dir_ + "/certs/" + name; }

  // A channel presenting `client` (e.g. "viewer" for viewer.crt); "" presents no certificate.
  static std::shared_ptr<grpc::Channel> Channel(const std::string& client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFileOrEmpty(Cert("ca.crt"));
    if (!client.empty()) {
      options.pem_cert_chain = ReadFileOrEmpty(Cert(client + ".crt"));
      options.pem_private_key = ReadFileOrEmpty(Cert(client + ".key"));
    }
    return grpc::CreateChannel(*address_, grpc::SslCredentials(options));
  }

  static grpc::Status FleetStatus(const std::shared_ptr<grpc::Channel>& channel,
                                  const std::string& token = "") {
    auto stub = v1::FleetService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::FleetStatus status;
    return stub->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
  }

  static grpc::Status CollectBundle(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::string& token = "") {
    auto stub = v1::FleetService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::CollectBundleRequest request;
    request.add_node_ids("v1");
    request.set_timeout_ms(500);
    request.set_pending_expiry_ms(1000);
    auto reader = stub->CollectBundle(&context, request);
    v1::CollectProgress progress;
    while (reader->Read(&progress)) {
    }
    return reader->Finish();
  }

  static std::string* dir_;
  static std::string* address_;
  static ChildProcess* collector_;
};

std::string* CollectorAccessTest::dir_ = nullptr;
std::string* CollectorAccessTest::address_ = nullptr;
ChildProcess* CollectorAccessTest::collector_ = nullptr;

TEST_F(CollectorAccessTest, AgentWithV1CertificateClaimingV2IsRefused) {
  auto stub = v1::AgentService::NewStub(Channel("agent-v1"));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Connect(&context);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_node_id("v2");
  hello.mutable_hello()->set_agent_version("test");
  stream->Write(hello);
  stream->WritesDone();
  v1::CollectorMessage reply;
  EXPECT_FALSE(stream->Read(&reply)) << "the collector answered a forged hello";
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
}

TEST_F(CollectorAccessTest, AgentCertificateCannotReadTheFleet) {
  grpc::Status status = FleetStatus(Channel("agent-v1"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("your certificate's role is agent"));
}

TEST_F(CollectorAccessTest, ViewerReadsFleetStatusButCannotCollectBundle) {
  auto viewer = Channel("viewer");
  grpc::Status read = FleetStatus(viewer);
  EXPECT_TRUE(read.ok()) << read.error_message();
  grpc::Status collect = CollectBundle(viewer);
  EXPECT_EQ(collect.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(collect.error_message(),
            "CollectBundle needs the operator role; your certificate's role is viewer");
}

TEST_F(CollectorAccessTest, OperatorMayCollectAndEveryBundleRequestIsAudited) {
  grpc::Status collect = CollectBundle(Channel("operator"));
  EXPECT_NE(collect.error_code(), grpc::StatusCode::PERMISSION_DENIED) << collect.error_message();
  EXPECT_NE(collect.error_code(), grpc::StatusCode::UNAUTHENTICATED) << collect.error_message();
  (void)CollectBundle(Channel("viewer"));
  std::string audit = ReadFileOrEmpty(*dir_ + "/audit.log");
  EXPECT_THAT(audit, HasSubstr("audit who=certificate CN=operator role=operator peer="));
  EXPECT_THAT(audit, HasSubstr("what=CollectBundle nodes=[\"v1\"] all=0"));
  EXPECT_THAT(audit, HasSubstr("outcome=requested"));
  EXPECT_THAT(audit, HasSubstr("who=certificate CN=viewer role=viewer what=CollectBundle "
                               "outcome=refused: CollectBundle needs the operator role"));
}

TEST_F(CollectorAccessTest, ClientWithoutCertificateOrTokenIsRefused) {
  grpc::Status status = FleetStatus(Channel(""));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("no client certificate and no bearer token"));
}

TEST_F(CollectorAccessTest, UnknownTokenIsRefused) {
  grpc::Status status = FleetStatus(Channel(""), "guessed-token");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown bearer token"));
}

TEST_F(CollectorAccessTest, ViewerTokenReadsButCannotCollect) {
  grpc::Status read = FleetStatus(Channel(""), "viewer-token");
  EXPECT_TRUE(read.ok()) << read.error_message();
  grpc::Status collect = CollectBundle(Channel(""), "viewer-token");
  EXPECT_EQ(collect.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(collect.error_message(), HasSubstr("your token's role is viewer"));
  grpc::Status operator_collect = CollectBundle(Channel(""), "operator-token");
  EXPECT_NE(operator_collect.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CollectorAccessTest, ExpiredCertificateIsRefused) {
  grpc::Status status = FleetStatus(Channel("expired"));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_TRUE(collector_->Running());
}

// The default deployment (no --tokens-file): the TLS handshake itself demands a certificate.
TEST(CollectorStrictMtlsTest, ClientWithoutCertificateIsRefusedAtTheHandshake) {
  std::string dir = testing::FreshTempDir("security-strict");
  MintCertificates(dir + "/certs");
  ChildProcess collector(
      {BinaryPath("guts-collector"), "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
       "--data-dir", dir + "/data", "--ready-file", dir + "/ready.json", "--tls-cert",
       dir + "/certs/collector.crt", "--tls-key", dir + "/certs/collector.key", "--tls-ca",
       dir + "/certs/ca.crt"},
      dir + "/collector.log");
  absl::StatusOr<std::string> ready =
      testing::WaitForReadyFile(dir + "/ready.json", absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFileOrEmpty(dir + "/certs/ca.crt");
  auto stub = v1::FleetService::NewStub(grpc::CreateChannel(
      nlohmann::json::parse(*ready)["grpc"].get<std::string>(), grpc::SslCredentials(options)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::FleetStatus status;
  grpc::Status s = stub->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

}  // namespace
}  // namespace guts
