#include "agent/sources/p2p_probe_source.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/socket_pair.h"

namespace guts::agent {
namespace {

TEST(P2pProbeSourceTest, ReachableRefusedAndSelfSkipped) {
  uint16_t up_port = 0, down_port = 0;
  int up = testing::Listen("127.0.92.2", up_port);
  int down = testing::Listen("127.0.92.3", down_port);
  close(down);  // nothing listens there any more: refused
  auto validators = std::make_shared<KnownValidators>();
  validators->Set({{"v1", "127.0.92.1:9000"},
                   {"v2", absl::StrCat("127.0.92.2:", up_port)},
                   {"v3", absl::StrCat("127.0.92.3:", down_port)},
                   {"v4", "nonsense"}});
  P2pProbeSource source("127.0.92.1:9000", validators);
  v1::Snapshot part;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), part).ok());
  ASSERT_EQ(part.probes_size(), 3) << part.DebugString();
  EXPECT_EQ(part.probes(0).name(), "v2");
  EXPECT_TRUE(part.probes(0).reachable());
  EXPECT_EQ(part.probes(1).name(), "v3");
  EXPECT_FALSE(part.probes(1).reachable());
  EXPECT_EQ(part.probes(1).error(), "Connection refused");
  EXPECT_FALSE(part.probes(2).reachable());
  EXPECT_NE(part.probes(2).error().find("not host:port"), std::string::npos);
  close(up);
}

TEST(P2pProbeSourceTest, WithoutAValidatorListTheDialledPeersAreProbed) {
  uint16_t up_port = 0;
  int up = testing::Listen("127.0.92.4", up_port);
  auto validators = std::make_shared<KnownValidators>();
  validators->RememberPeer(absl::StrCat("127.0.92.4:", up_port));
  P2pProbeSource source("127.0.92.1:9000", validators);
  v1::Snapshot part;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(1), part).ok());
  ASSERT_EQ(part.probes_size(), 1);
  EXPECT_TRUE(part.probes(0).reachable());
  close(up);
}

// 192.0.2.0/24 (TEST-NET-1) is not routed: the connect hangs until our timeout, or fails at
// once where the host has no route at all.
TEST(P2pProbeSourceTest, UnroutableValidatorIsUnreachableWithAReason) {
  auto validators = std::make_shared<KnownValidators>();
  validators->Set({{"v9", "192.0.2.1:9000"}});
  P2pProbeSource source("127.0.92.1:9000", validators, absl::Milliseconds(100));
  v1::Snapshot part;
  ASSERT_TRUE(source.Collect(absl::Now() + absl::Seconds(5), part).ok());
  ASSERT_EQ(part.probes_size(), 1);
  EXPECT_FALSE(part.probes(0).reachable());
  EXPECT_FALSE(part.probes(0).error().empty());
}

}  // namespace
}  // namespace guts::agent
