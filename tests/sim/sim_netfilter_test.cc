// The partition drill with kernel-level faults: guts-sim --netfilter applies link cuts as
// nftables rules. The test moves itself into a private network namespace first (each test
// runs in its own process under ctest), so the host's namespace and rules are never touched.
#include <gtest/gtest.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "sim/netfilter.h"
#include "tests/sim/sim_run.h"
#include "tests/support/private_network.h"

namespace guts::sim {
namespace {

using ::guts::testing::Shell;

TEST(NftLinkCutsTest, ScriptDropsEachCutDirectionToTheP2pPort) {
  std::string script = NftLinkCuts::Script(9000, {{"127.0.0.13", "127.0.0.15"}});
  EXPECT_NE(script.find("elements = { 127.0.0.13 . 127.0.0.15 }"), std::string::npos);
  EXPECT_NE(script.find("ip saddr . ip daddr @cuts tcp dport 9000 drop"), std::string::npos);
}

TEST(SimNetfilterTest, KernelDropsCutTheLinksInAPrivateNamespace) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace (not root)";
  if (system("nft --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs nftables (the nft command is missing)";
  }
  absl::Status private_network = ::guts::testing::EnterPrivateNetworkNamespace();
  ASSERT_TRUE(private_network.ok()) << private_network;
  ASSERT_FALSE(InHostNetworkNamespace());

  std::vector<std::string> args = {"--time-scale", "0.2", "--netfilter"};
  SimRun sim("sim_netfilter", "127.50.0.10", 7, args);
  ASSERT_TRUE(sim.status().ok()) << sim.status();
  sim.Wait(absl::Seconds(2));

  // One-way: v3 -> v5 dropped by the kernel, v5 -> v3 flows.
  ASSERT_TRUE(sim.Ctl({"drop", "v3", "v5"}).ok());
  EXPECT_NE(Shell("nft list table inet guts_sim").output.find(sim.Ip(2) + " . " + sim.Ip(4)),
            std::string::npos);
  absl::SleepFor(absl::Seconds(2));
  EXPECT_GT(LastReceiveMs(sim.Ip(4), sim.Ip(2)), 1500);
  long back = LastReceiveMs(sim.Ip(2), sim.Ip(4));
  EXPECT_GE(back, 0);
  EXPECT_LT(back, 1000);

  // A 4|3 partition halts the chain; the heal removes the rules and blocks resume.
  ASSERT_TRUE(sim.Ctl({"partition", "v1,v2,v3,v4|v5,v6,v7"}).ok());
  sim.Wait(absl::Seconds(1));
  uint64_t h = sim.Height(0);
  sim.Wait(absl::Seconds(6));
  EXPECT_EQ(sim.Height(0), h);
  ASSERT_TRUE(sim.Ctl({"heal"}).ok());
  EXPECT_EQ(Shell("nft list table inet guts_sim").output.find(sim.Ip(0) + " . "),
            std::string::npos);
  // Both sides sit in a view they nullified; the nullify retry (10 s) restarts the views.
  sim.Wait(absl::Seconds(14));
  EXPECT_GT(sim.Height(0), h + 2);
  EXPECT_GT(sim.Height(6), h + 2);
}

TEST(SimNetfilterTest, RefusesToRunInTheHostNamespace) {
  if (!InHostNetworkNamespace()) GTEST_SKIP() << "already inside a private network namespace";
  absl::StatusOr<NftLinkCuts> nft = NftLinkCuts::Open(9000);
  ASSERT_FALSE(nft.ok());
  EXPECT_EQ(nft.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace guts::sim
