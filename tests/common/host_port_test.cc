#include "common/host_port.h"

#include <gtest/gtest.h>

namespace guts {
namespace {

HostPort Parsed(absl::string_view text) {
  absl::StatusOr<HostPort> hp = ParseHostPort(text);
  EXPECT_TRUE(hp.ok()) << text << ": " << hp.status();
  return hp.ok() ? *hp : HostPort{};
}

TEST(HostPort, Ipv4NamesAndPortZeroParse) {
  EXPECT_EQ(Parsed("10.0.0.1:9000"), (HostPort{"10.0.0.1", 9000}));
  EXPECT_EQ(Parsed("collector-0.guts.svc:7400"), (HostPort{"collector-0.guts.svc", 7400}));
  EXPECT_EQ(Parsed("localhost:0"), (HostPort{"localhost", 0}));
  EXPECT_EQ(Parsed("0.0.0.0:65535"), (HostPort{"0.0.0.0", 65535}));
}

TEST(HostPort, Ipv6InBracketsIsHeldWithoutThem) {
  EXPECT_EQ(Parsed("[::1]:7400"), (HostPort{"::1", 7400}));
  EXPECT_EQ(Parsed("[::]:0"), (HostPort{"::", 0}));
  EXPECT_EQ(Parsed("[2001:db8::42]:9000"), (HostPort{"2001:db8::42", 9000}));
  EXPECT_EQ(Parsed("[::ffff:10.0.0.1]:9000"), (HostPort{"::ffff:10.0.0.1", 9000}));
  EXPECT_EQ(Parsed("[fe80::1%eth0]:9000"), (HostPort{"fe80::1%eth0", 9000}));
}

TEST(HostPort, MalformedAddressesAreRefusedNamingTheText) {
  for (const char* bad :
       {"",          "10.0.0.1",  "10.0.0.1:",  ":7400",         "host:port",   "host:-1",
        "host:+80",  "host: 80",  "host:65536", "host:123456",   "::1:7400",    "::1",
        "[::1]",     "[::1:7400", "[]:7400",    "[10.0.0.1]:80", "[not-v6]:80", "[fe80::1%]:80",
        "[::1]x:80", "a]b:80"}) {
    absl::StatusOr<HostPort> hp = ParseHostPort(bad);
    ASSERT_FALSE(hp.ok()) << "'" << bad << "' parsed as " << hp->host << " " << hp->port;
    EXPECT_EQ(hp.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(hp.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << hp.status();
  }
  EXPECT_NE(ParseHostPort("::1:7400").status().message().find("[::1]:7400"), std::string::npos);
}

TEST(HostPort, FormatBracketsIpv6AndRoundTrips) {
  EXPECT_EQ(FormatHostPort("10.0.0.1", 9000), "10.0.0.1:9000");
  EXPECT_EQ(FormatHostPort("::1", 7400), "[::1]:7400");
  EXPECT_EQ(FormatHostPort("node-1", 0), "node-1:0");
  for (const char* text : {"10.0.0.1:9000", "[::1]:7400", "[fe80::1%eth0]:1", "a.b:65535"}) {
    const HostPort hp = Parsed(text);
    EXPECT_EQ(FormatHostPort(hp.host, hp.port), text);
  }
}

TEST(HostPort, HostOfTakesThePortAndBracketsOff) {
  EXPECT_EQ(HostOf("10.0.0.1:9000"), "10.0.0.1");
  EXPECT_EQ(HostOf("[::1]:9000"), "::1");
  EXPECT_EQ(HostOf("[::1]"), "::1");
  EXPECT_EQ(HostOf("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(HostOf("::1"), "::1");  // a bare IPv6 address keeps its colons
  EXPECT_EQ(HostOf("fe80::1:9000"), "fe80::1:9000");
  EXPECT_EQ(HostOf(""), "");
  EXPECT_EQ(HostOf("[::1"), "[::1");  // malformed: returned whole, never cut
}

}  // namespace
}  // namespace guts
