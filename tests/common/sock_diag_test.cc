#include "common/sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstring>
#include <memory>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/socket_pair.h"

namespace guts {
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

// established_only leaves out a session its peer closed (CLOSE_WAIT) that the full listing
// shows; without tcp_info the sessions come with their ends, state and inode but no figures.
TEST(SockDiagTest, EstablishedOnlyAndWithoutTcpInfo) {
  uint16_t port = 0;
  int listener = testing::Listen("127.0.93.7", port);
  int client = testing::Connect("127.0.93.8", "127.0.93.7", port);
  int server = accept(listener, nullptr, nullptr);
  int closing_client = testing::Connect("127.0.93.8", "127.0.93.7", port);
  int closing_server = accept(listener, nullptr, nullptr);
  close(closing_client);  // its server end goes to CLOSE_WAIT
  ASSERT_EQ(write(client, "hello", 5), 5);
  char buffer[8];
  ASSERT_EQ(read(server, buffer, sizeof(buffer)), 5);
  absl::SleepFor(absl::Milliseconds(50));

  absl::StatusOr<std::vector<TcpSession>> open =
      ListTcpSessions({.local_ip = "127.0.93.7", .local_ports = {port}});
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_EQ(open->size(), 2u);
  int close_wait = 0;
  for (const TcpSession& s : *open) close_wait += s.state == "CLOSE_WAIT";
  EXPECT_EQ(close_wait, 1);

  absl::StatusOr<std::vector<TcpSession>> established =
      ListTcpSessions({.local_ip = "127.0.93.7", .local_ports = {port}, .established_only = true});
  ASSERT_TRUE(established.ok()) << established.status();
  ASSERT_EQ(established->size(), 1u);
  EXPECT_EQ((*established)[0].state, "ESTABLISHED");
  EXPECT_TRUE((*established)[0].has_info);
  EXPECT_EQ((*established)[0].bytes_received, 5u);

  absl::StatusOr<std::vector<TcpSession>> bare = ListTcpSessions({.local_ip = "127.0.93.7",
                                                                  .local_ports = {port},
                                                                  .established_only = true,
                                                                  .tcp_info = false});
  ASSERT_TRUE(bare.ok()) << bare.status();
  ASSERT_EQ(bare->size(), 1u);
  const TcpSession& s = (*bare)[0];
  EXPECT_EQ(s.state, "ESTABLISHED");
  EXPECT_EQ(s.local_ip, "127.0.93.7");
  EXPECT_EQ(s.remote_ip, "127.0.93.8");
  EXPECT_EQ(s.local_port, port);
  EXPECT_EQ(s.inode, (*established)[0].inode);
  EXPECT_NE(s.inode, 0u);
  EXPECT_FALSE(s.has_info);
  EXPECT_EQ(s.bytes_received, 0u);

  for (int fd : {client, server, closing_server, listener}) close(fd);
}

// Looking sessions up by their four-tuple finds the open ones with fresh tcp_info and leaves
// out the closed ones, though the kernel's lookup then answers with the listener (the server
// end's tuple) or the TIME_WAIT socket (the client end's).
TEST(SockDiagTest, LookUpFindsOpenSessionsAndLeavesOutClosedOnes) {
  uint16_t port = 0;
  int listener = testing::Listen("127.0.93.5", port);
  int client = testing::Connect("127.0.93.6", "127.0.93.5", port);
  int server = accept(listener, nullptr, nullptr);
  int other_client = testing::Connect("127.0.93.6", "127.0.93.5", port);
  int other_server = accept(listener, nullptr, nullptr);

  absl::StatusOr<std::vector<TcpSession>> listed = ListTcpSessions({.local_ip = "127.0.93.6"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  absl::StatusOr<std::vector<TcpSession>> server_ends =
      ListTcpSessions({.local_ip = "127.0.93.5", .local_ports = {port}, .remote_ports = {}});
  ASSERT_TRUE(server_ends.ok()) << server_ends.status();
  ASSERT_EQ(listed->size(), 2u);
  ASSERT_EQ(server_ends->size(), 2u);
  std::vector<TcpSession> known = *listed;
  known.insert(known.end(), server_ends->begin(), server_ends->end());

  ASSERT_EQ(write(client, "hello", 5), 5);
  char buffer[8];
  ASSERT_EQ(read(server, buffer, sizeof(buffer)), 5);
  absl::StatusOr<std::vector<TcpSession>> found = LookUpTcpSessions(known);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 4u);
  for (size_t i = 0; i < known.size(); ++i) {
    EXPECT_EQ((*found)[i].local_ip, known[i].local_ip);
    EXPECT_EQ((*found)[i].local_port, known[i].local_port);
    EXPECT_EQ((*found)[i].remote_port, known[i].remote_port);
    EXPECT_EQ((*found)[i].state, "ESTABLISHED");
    EXPECT_TRUE((*found)[i].has_info);
  }
  // Fresh: the five bytes written after the listing are counted.
  uint64_t received = 0;
  for (const TcpSession& s : *found) {
    if (s.local_ip == "127.0.93.5") received += s.bytes_received;
  }
  EXPECT_EQ(received, 5u);

  sockaddr_in closed{};
  socklen_t length = sizeof(closed);
  ASSERT_EQ(getsockname(client, reinterpret_cast<sockaddr*>(&closed), &length), 0);
  const uint16_t closed_port = ntohs(closed.sin_port);
  close(client);
  close(server);
  found = LookUpTcpSessions(known);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 2u);
  for (const TcpSession& s : *found) {
    EXPECT_NE(s.local_port, closed_port);
    EXPECT_NE(s.remote_port, closed_port);
    EXPECT_EQ(s.state, "ESTABLISHED");
  }

  std::vector<TcpSession> too_many(kMaxTcpSessionLookups + 1, known[0]);
  EXPECT_EQ(LookUpTcpSessions(too_many).status().code(), absl::StatusCode::kInvalidArgument);
  TcpSession bad = known[0];
  bad.remote_ip = "nowhere";
  EXPECT_EQ(LookUpTcpSessions({bad}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(LookUpTcpSessions({})->empty());

  for (int fd : {other_client, other_server, listener}) close(fd);
}

// Netlink messages built byte by byte, as the kernel would send them (or a broken one would).
std::string Message(uint16_t type, const std::string& payload, uint32_t claimed_length = 0) {
  nlmsghdr header{};
  header.nlmsg_len =
      claimed_length != 0 ? claimed_length : static_cast<uint32_t>(NLMSG_LENGTH(payload.size()));
  header.nlmsg_type = type;
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  out += payload;
  out.resize(NLMSG_ALIGN(out.size()), '\0');
  return out;
}

std::string Attribute(uint16_t type, const std::string& payload) {
  rtattr attr{};
  attr.rta_type = type;
  attr.rta_len = static_cast<uint16_t>(RTA_LENGTH(payload.size()));
  std::string out(reinterpret_cast<const char*>(&attr), sizeof(attr));
  out += payload;
  out.resize(RTA_ALIGN(out.size()), '\0');
  return out;
}

template <typename T>
std::string Bytes(const T& value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(value));
}

std::string SessionPayload(uint8_t state, const std::string& attributes = "") {
  inet_diag_msg diag{};
  diag.idiag_family = AF_INET;
  diag.idiag_state = state;
  diag.id.idiag_sport = htons(9000);
  diag.id.idiag_dport = htons(41234);
  inet_pton(AF_INET, "127.0.0.11", diag.id.idiag_src);
  inet_pton(AF_INET, "127.0.0.12", diag.id.idiag_dst);
  diag.idiag_wqueue = 77;
  return Bytes(diag) + attributes;
}

// Parses `datagram` from a heap block of exactly its size, odd-aligned, so that a read past the
// end is a heap overflow under AddressSanitizer and a misaligned read is caught by UBSan.
absl::StatusOr<bool> Parse(const std::string& datagram, std::vector<TcpSession>& out) {
  auto block = std::make_unique<char[]>(datagram.size() + 1);
  std::memcpy(block.get() + 1, datagram.data(), datagram.size());
  auto exact = std::make_unique<char[]>(datagram.size());
  std::memcpy(exact.get(), datagram.data(), datagram.size());
  std::vector<TcpSession> unaligned;
  const size_t before = out.size();
  absl::StatusOr<bool> misaligned =
      ParseSockDiagReply(absl::string_view(block.get() + 1, datagram.size()), unaligned);
  absl::StatusOr<bool> result =
      ParseSockDiagReply(absl::string_view(exact.get(), datagram.size()), out);
  EXPECT_EQ(misaligned.status(), result.status());
  EXPECT_EQ(unaligned.size(), out.size() - before);
  return result;
}

TEST(SockDiagReplyTest, SessionsWithTcpInfoAreReadAndDoneEndsTheDump) {
  tcp_info info{};
  info.tcpi_rtt = 1500;
  info.tcpi_last_data_recv = 250;
  info.tcpi_total_retrans = 3;
  std::string datagram =
      Message(SOCK_DIAG_BY_FAMILY, SessionPayload(1, Attribute(INET_DIAG_INFO, Bytes(info)))) +
      Message(NLMSG_NOOP, "") + Message(SOCK_DIAG_BY_FAMILY, SessionPayload(200));
  std::vector<TcpSession> sessions;
  absl::StatusOr<bool> done = Parse(datagram, sessions);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_FALSE(*done);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].local_ip, "127.0.0.11");
  EXPECT_EQ(sessions[0].remote_ip, "127.0.0.12");
  EXPECT_EQ(sessions[0].local_port, 9000);
  EXPECT_EQ(sessions[0].remote_port, 41234);
  EXPECT_EQ(sessions[0].state, "ESTABLISHED");
  EXPECT_EQ(sessions[0].send_queue_bytes, 77u);
  EXPECT_TRUE(sessions[0].has_info);
  EXPECT_EQ(sessions[0].rtt_us, 1500u);
  EXPECT_EQ(sessions[0].last_data_recv_ms, 250u);
  EXPECT_EQ(sessions[0].total_retrans, 3u);
  EXPECT_EQ(sessions[1].state, "UNKNOWN");
  EXPECT_FALSE(sessions[1].has_info);

  int zero = 0;
  done = Parse(Message(NLMSG_DONE, Bytes(zero)), sessions);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(*done);
}

TEST(SockDiagReplyTest, ShortTcpInfoOfAnOlderKernelLeavesTheRestZero) {
  tcp_info info{};
  info.tcpi_rtt = 900;
  info.tcpi_bytes_acked = 12345;
  const size_t old_size = offsetof(tcp_info, tcpi_bytes_acked);  // cut before bytes_acked
  std::vector<TcpSession> sessions;
  absl::StatusOr<bool> done =
      Parse(Message(SOCK_DIAG_BY_FAMILY,
                    SessionPayload(1, Attribute(INET_DIAG_INFO, Bytes(info).substr(0, old_size)))),
            sessions);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].rtt_us, 900u);
  EXPECT_EQ(sessions[0].bytes_acked, 0u);
}

TEST(SockDiagReplyTest, NetlinkErrorCarriesTheKernelsErrno) {
  nlmsgerr error{};
  error.error = -EPERM;
  std::vector<TcpSession> sessions;
  absl::StatusOr<bool> done = Parse(Message(NLMSG_ERROR, Bytes(error)), sessions);
  EXPECT_EQ(done.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(done.status().message().find(std::strerror(EPERM)), std::string::npos) << done.status();

  error.error = INT_MIN;  // negating it as an int would overflow
  done = Parse(Message(NLMSG_ERROR, Bytes(error)), sessions);
  EXPECT_EQ(done.status().code(), absl::StatusCode::kUnavailable);
}

// Regression (issue #10): an NLMSG_ERROR whose nlmsg_len covers less than a struct nlmsgerr was
// read as a whole nlmsgerr, past the message and the datagram.
TEST(SockDiagReplyTest, NetlinkErrorShorterThanNlmsgerrIsDataLossNotReadPastItsLength) {
  std::vector<TcpSession> sessions;
  for (size_t payload : {0, 2, 4, 19}) {
    absl::StatusOr<bool> done =
        Parse(Message(NLMSG_ERROR, std::string(payload, '\xf3')).substr(0, NLMSG_HDRLEN + payload),
              sessions);
    EXPECT_EQ(done.status().code(), absl::StatusCode::kDataLoss) << payload;
    EXPECT_NE(done.status().message().find("NLMSG_ERROR"), std::string::npos) << done.status();
  }
  EXPECT_TRUE(sessions.empty());
}

TEST(SockDiagReplyTest, EveryLengthThatOverrunsItsContainerIsDataLoss) {
  struct Case {
    const char* what;
    std::string datagram;
  };
  tcp_info info{};
  std::string overlong_attribute = Attribute(INET_DIAG_INFO, Bytes(info));
  overlong_attribute[0] = static_cast<char>(0xff);  // rta_len 0x..ff: beyond the message
  std::string tiny_attribute = Attribute(INET_DIAG_INFO, "");
  tiny_attribute[0] = 2;  // rta_len below the attribute header itself
  std::string session = Message(SOCK_DIAG_BY_FAMILY, SessionPayload(1));
  const Case cases[] = {
      {"header cut short", session.substr(0, 10)},
      {"message longer than the datagram",
       Message(SOCK_DIAG_BY_FAMILY, SessionPayload(1), 4096).substr(0, session.size())},
      {"message length below its header", Message(SOCK_DIAG_BY_FAMILY, "", 8)},
      {"inet_diag_msg cut short", Message(SOCK_DIAG_BY_FAMILY, SessionPayload(1).substr(0, 40))},
      {"attribute longer than the message",
       Message(SOCK_DIAG_BY_FAMILY, SessionPayload(1, overlong_attribute))},
      {"attribute length below its header",
       Message(SOCK_DIAG_BY_FAMILY, SessionPayload(1, tiny_attribute))},
      {"bytes after the attributes", Message(SOCK_DIAG_BY_FAMILY, SessionPayload(1, "ab"))},
      {"a good message, then a torn one", session + session.substr(0, 20)},
  };
  for (const Case& c : cases) {
    std::vector<TcpSession> sessions;
    EXPECT_EQ(Parse(c.datagram, sessions).status().code(), absl::StatusCode::kDataLoss) << c.what;
  }
}

}  // namespace
}  // namespace guts
