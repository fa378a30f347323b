#include "collector/auth/role.h"

#include "collector/auth/token_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace guts::collector {
namespace {

using ::testing::HasSubstr;

TEST(RoleTest, RoleComesFromTheSingleOuOfTheSubject) {
  EXPECT_EQ(RoleFromSubject("CN=v1,OU=agent,O=guts-diag dev"), Role::kAgent);
  EXPECT_EQ(RoleFromSubject("CN=operator,OU=operator,O=guts-diag dev"), Role::kOperator);
  EXPECT_EQ(RoleFromSubject("CN=x,O=guts-diag dev"), std::nullopt);
  EXPECT_EQ(RoleFromSubject("CN=x,OU=viewer,OU=operator"), std::nullopt);
  EXPECT_EQ(RoleFromSubject("CN=x,OU=admin"), std::nullopt);
}

// A CN chosen by whoever asked for the certificate cannot smuggle in a second OU.
TEST(RoleTest, EscapedSeparatorInCommonNameCannotForgeARole) {
  EXPECT_EQ(RoleFromSubject("CN=v9\\,OU=operator,OU=agent,O=guts-diag dev"), Role::kAgent);
  EXPECT_EQ(RoleFromSubject("CN=v9\\,OU=operator,O=guts-diag dev"), std::nullopt);
}

TEST(RoleTest, RefusalNamesTheRoleNeededAndTheCallersRole) {
  absl::Status s =
      CheckRole(Role::kViewer, "/guts.diag.v1.FleetService/DownloadBundle", "certificate");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "DownloadBundle needs the operator role; your certificate's role is viewer");
  s = CheckRole(Role::kAgent, "/guts.diag.v1.FleetService/GetFleetStatus", "certificate");
  EXPECT_EQ(s.message(),
            "GetFleetStatus needs the viewer or operator role; your certificate's role is agent");
  s = CheckRole(Role::kOperator, "/guts.diag.v1.AgentService/Connect", "token");
  EXPECT_EQ(s.message(), "Connect needs the agent role; your token's role is operator");
}

TEST(RoleTest, EachRoleCallsExactlyItsMethods) {
  const std::string fleet = "/guts.diag.v1.FleetService/";
  for (const char* read : {"GetFleetStatus", "GetNode", "GetNodeHistory", "GetTopology",
                           "ListIncidents", "GetIncident"}) {
    EXPECT_TRUE(CheckRole(Role::kViewer, fleet + read, "certificate").ok()) << read;
    EXPECT_TRUE(CheckRole(Role::kOperator, fleet + read, "certificate").ok()) << read;
    EXPECT_FALSE(CheckRole(Role::kAgent, fleet + read, "certificate").ok()) << read;
  }
  for (const char* bundle : {"CollectBundle", "ListBundles", "DownloadBundle"}) {
    EXPECT_TRUE(CheckRole(Role::kOperator, fleet + bundle, "certificate").ok()) << bundle;
    EXPECT_FALSE(CheckRole(Role::kViewer, fleet + bundle, "certificate").ok()) << bundle;
    EXPECT_FALSE(CheckRole(Role::kAgent, fleet + bundle, "certificate").ok()) << bundle;
  }
  for (const char* agent : {"Connect", "UploadBundle", "BundleUploadOffset"}) {
    std::string method = std::string("/guts.diag.v1.AgentService/") + agent;
    EXPECT_TRUE(CheckRole(Role::kAgent, method, "certificate").ok()) << agent;
    EXPECT_FALSE(CheckRole(Role::kOperator, method, "certificate").ok()) << agent;
  }
  EXPECT_TRUE(CheckRole(Role::kAgent, "/grpc.health.v1.Health/Check", "certificate").ok());
  EXPECT_FALSE(CheckRole(Role::kOperator, "/guts.diag.v1.FleetService/Unknown", "token").ok());
}

TEST(TokenFileTest, FindsTheHolderByTheTokensHash) {
  // sha256("viewer-token"), upper case: hex digits in either case.
  absl::StatusOr<TokenFile> tokens = TokenFile::Parse(
      "# role hash name\n"
      "viewer D036BD6D01A1CAE081D39A2F8DAB751DC042DE814FD60DF31FCB553170950F29 grafana\n"
      "\n",
      "test");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(tokens->size(), 1u);
  const TokenHolder* holder = tokens->Find("viewer-token");
  ASSERT_NE(holder, nullptr);
  EXPECT_EQ(holder->role, Role::kViewer);
  EXPECT_EQ(holder->name, "grafana");
  EXPECT_EQ(tokens->Find("not-the-token"), nullptr);
  EXPECT_EQ(tokens->Find(""), nullptr);
}

TEST(TokenFileTest, MalformedLinesAreRefusedWithTheLineNumber) {
  auto s = TokenFile::Parse("viewer abc grafana\n", "t").status();
  EXPECT_THAT(s.message(), HasSubstr("tokens file t line 1: the token's SHA-256 must be 64 hex"));
  s = TokenFile::Parse(
          "\nagent 0d1e3c19ed6c2d8ee1d9c1fd0ab6f8d0ddee9e3e4b1fbbdc9e2d01e1ac2f9a35 v1\n", "t")
          .status();
  EXPECT_THAT(s.message(), HasSubstr("line 2: role \"agent\" is not viewer or operator"));
  s = TokenFile::Parse("viewer onlytwo\n", "t").status();
  EXPECT_THAT(s.message(), HasSubstr("expected \"role sha256-hex name\""));
}

}  // namespace
}  // namespace guts::collector
