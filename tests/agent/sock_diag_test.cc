#include "agent/sock_diag.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/agent/socket_pair.h"

namespace guts::agent {
namespace {

int Count(const std::vector<TcpSession>& sessions, const std::string& ip) {
  int n = 0;
  for (const TcpSession& s : sessions) n += (s.local_ip == ip || s.remote_ip == ip);
  return n;
}

// The port filter runs in the kernel: it must keep exactly the sessions asked for.
TEST(SockDiagTest, KernelPortFilterKeepsOnlyTheAskedSessions) {
  uint16_t port = 0, other_port = 0;
  int listener = testing::Listen("127.0.93.1", port);
  int other_listener = testing::Listen("127.0.93.1", other_port);
  int client = testing::Connect("127.0.93.2", "127.0.93.1", port);
  int server = accept(listener, nullptr, nullptr);
  int other_client = testing::Connect("127.0.93.2", "127.0.93.1", other_port);
  int other_server = accept(other_listener, nullptr, nullptr);

  absl::StatusOr<std::vector<TcpSession>> all = ListTcpSessions();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Count(*all, "127.0.93.2"), 4);  // two sessions, both ends; listeners left out

  absl::StatusOr<std::vector<TcpSession>> local =
      ListTcpSessions({.local_ports = {port}, .remote_ports = {}});
  ASSERT_TRUE(local.ok()) << local.status();
  ASSERT_EQ(Count(*local, "127.0.93.2"), 1);
  for (const TcpSession& s : *local) EXPECT_EQ(s.local_port, port);

  absl::StatusOr<std::vector<TcpSession>> both =
      ListTcpSessions({.local_ports = {port}, .remote_ports = {port, 1}});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(Count(*both, "127.0.93.2"), 2);
  for (const TcpSession& s : *both) {
    EXPECT_TRUE(s.local_port == port || s.remote_port == port || s.remote_port == 1);
    if (s.local_ip == "127.0.93.1") {
      EXPECT_EQ(s.state, "ESTABLISHED");
      EXPECT_TRUE(s.has_info);
    }
  }
  absl::StatusOr<std::vector<TcpSession>> by_address = ListTcpSessions({.local_ip = "127.0.93.2"});
  ASSERT_TRUE(by_address.ok()) << by_address.status();
  EXPECT_EQ(by_address->size(), 2u);  // the two client ends
  for (const TcpSession& s : *by_address) EXPECT_EQ(s.local_ip, "127.0.93.2");

  absl::StatusOr<std::vector<TcpSession>> address_and_port =
      ListTcpSessions({.local_ip = "127.0.93.1", .local_ports = {port}, .remote_ports = {}});
  ASSERT_TRUE(address_and_port.ok()) << address_and_port.status();
  ASSERT_EQ(address_and_port->size(), 1u);
  EXPECT_EQ((*address_and_port)[0].local_port, port);
  EXPECT_EQ((*address_and_port)[0].remote_ip, "127.0.93.2");

  absl::StatusOr<std::vector<TcpSession>> elsewhere =
      ListTcpSessions({.local_ip = "127.0.93.9", .local_ports = {port}, .remote_ports = {port}});
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  EXPECT_TRUE(elsewhere->empty());

  EXPECT_EQ(ListTcpSessions({.local_ip = "not-an-ip"}).status().code(),
            absl::StatusCode::kInvalidArgument);

  for (int fd : {client, server, other_client, other_server, listener, other_listener}) close(fd);
}

}  // namespace
}  // namespace guts::agent
