#include "ctl/client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/ctl/test_fleet_service.h"

namespace guts::ctl {
namespace {

using testing::FourThreeSplitOfSeven;
using testing::TestFleetService;

std::unique_ptr<FleetClient> ClientFor(const std::string& address) {
  absl::StatusOr<std::unique_ptr<FleetClient>> client = FleetClient::Connect(
      {.collector = address, .tls = {.insecure = true}, .deadline = absl::Seconds(5)});
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

// A loopback port nobody listens on: bound, then closed.
std::string ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

TEST(ClientTest, ReadsTheFleetFromARealServer) {
  TestFleetService collector(FourThreeSplitOfSeven());
  std::unique_ptr<FleetClient> client = ClientFor(collector.address());
  absl::StatusOr<v1::FleetStatus> status = client->FleetStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->nodes_size(), 7);
  absl::StatusOr<std::vector<v1::HistoryPoint>> history = client->History([] {
    v1::NodeHistoryRequest request;
    request.set_node_id("v5");
    return request;
  }());
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->size(), 30u);
}

TEST(ClientTest, UnknownNodeSaysWhereToFindTheNames) {
  TestFleetService collector(FourThreeSplitOfSeven());
  absl::StatusOr<v1::NodeDetail> detail = ClientFor(collector.address())->Node("v9");
  ASSERT_EQ(detail.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(detail.status().message(), "no node named v9 (gutsctl fleet status lists them)");
}

TEST(ClientTest, UnknownIncidentSaysWhereToFindTheIds) {
  TestFleetService collector(FourThreeSplitOfSeven());
  absl::StatusOr<v1::Incident> incident = ClientFor(collector.address())->Incident("inc-9999");
  ASSERT_EQ(incident.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(incident.status().message(), "no incident with id inc-9999"));
}

TEST(ClientTest, UnreachableCollectorNamesTheAddressAndTheFix) {
  std::string address = ClosedPort();
  absl::StatusOr<v1::FleetStatus> status = ClientFor(address)->FleetStatus();
  ASSERT_EQ(status.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(status.status().message(),
                               absl::StrCat("cannot reach the collector at ", address,
                                            " (set --collector or GUTSCTL_COLLECTOR)")))
      << status.status().message();
}

TEST(ClientTest, ViewerCertificateIsToldThatBundlesNeedTheOperatorRole) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  fixture.deny_bundles = true;
  TestFleetService collector(std::move(fixture));
  v1::CollectBundleRequest request;
  request.add_node_ids("v1");
  absl::Status status =
      ClientFor(collector.address())
          ->CollectBundle(request, absl::Seconds(5), [](const v1::CollectProgress&) {});
  ASSERT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(status.message(), "collecting bundles requires the operator role"))
      << status.message();
}

TEST(ClientTest, MissingTlsFilesAreAUsageError) {
  absl::StatusOr<std::unique_ptr<FleetClient>> client =
      FleetClient::Connect({.collector = "127.0.0.1:7400", .tls = {}});
  ASSERT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(client.status().message(), "--insecure"));
}

}  // namespace
}  // namespace guts::ctl
