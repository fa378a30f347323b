// PeerNamesFor (collector/query/peer_names.h): the agent names `gutsctl node show` puts on the
// sessions, probes and leader of one node's snapshot.
#include "collector/query/peer_names.h"

#include <gtest/gtest.h>

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

// An agent named `id` beside the node at `ip`:9000 with public key `key`.
NodeObservation Agent(const std::string& id, const std::string& ip, const std::string& key) {
  NodeObservation n;
  n.node_id = id;
  MutableHello(n).set_p2p_addr(ip + ":9000");
  MutableLatest(n).mutable_config()->set_public_key(key);
  return n;
}

TEST(PeerNamesTest, RenamedAgentsNameSessionsProbesAndLeaderOverTheListsNames) {
  FleetView view;
  view.nodes = {Agent("alpha", "127.0.0.11", "AA11"), Agent("bravo", "127.0.0.12", "bb22"),
                Agent("charlie", "127.0.0.13", "cc33")};
  v1::Snapshot s;  // charlie's
  auto add_peer = [&](const std::string& addr) { s.add_peers()->set_remote_addr(addr); };
  add_peer("127.0.0.11:9000");   // outbound: the peer's P2P address
  add_peer("127.0.0.12:41234");  // inbound: an ephemeral port, the IP names it
  add_peer("127.0.0.99:9000");   // nobody the collector knows
  v1::ProbeResult* probe = s.add_probes();
  probe->set_addr("127.0.0.12:9000");
  probe->set_name("v2");  // the node's list's name (the simulator's)
  v1::ProbeResult* unknown = s.add_probes();
  unknown->set_addr("127.0.0.14:9000");
  unknown->set_name("v4");
  s.mutable_consensus()->set_current_leader("aa11");
  // The node's list names v4 (no agent) and v2 (agent bravo at its address).
  for (auto [name, key, addr] :
       {std::tuple{"v2", "bb22", "127.0.0.12:9000"}, std::tuple{"v4", "dd44", "127.0.0.14:9000"}}) {
    v1::Validator* v = s.mutable_validators()->add_validators();
    v->set_name(name);
    v->set_pubkey(key);
    v->set_addr(addr);
  }
  const std::map<std::string, std::string> names = PeerNamesFor(s, view, nullptr);
  EXPECT_EQ(names.at("127.0.0.11:9000"), "alpha");
  EXPECT_EQ(names.at("127.0.0.12:41234"), "bravo");
  EXPECT_EQ(names.at("127.0.0.12:9000"), "bravo");
  EXPECT_EQ(names.at("127.0.0.14:9000"), "v4");  // no agent: the list's name
  EXPECT_EQ(names.at("aa11"), "alpha");          // keys compare in lower case
  EXPECT_EQ(names.count("127.0.0.99:9000"), 0u);
  EXPECT_EQ(names.size(), 5u);  // only what the snapshot mentions
}

TEST(PeerNamesTest, AnIpTwoAgentsShareNamesNoInboundSession) {
  FleetView view;
  view.nodes = {Agent("alpha", "127.0.0.11", "aa"), Agent("bravo", "127.0.0.11", "bb")};
  MutableHello(view.nodes[1]).set_p2p_addr("127.0.0.11:9001");
  v1::Snapshot s;
  s.add_peers()->set_remote_addr("127.0.0.11:50000");
  s.add_peers()->set_remote_addr("127.0.0.11:9001");
  const std::map<std::string, std::string> names = PeerNamesFor(s, view, nullptr);
  EXPECT_EQ(names.count("127.0.0.11:50000"), 0u);
  EXPECT_EQ(names.at("127.0.0.11:9001"), "bravo");
}

TEST(PeerNamesTest, UnobservedValidatorsTakeTheAnalysisNames) {
  FleetView view;
  view.nodes = {Agent("alpha", "10.0.0.1", "aa")};
  AnalysisResult analysis;
  UnobservedAssessment& u = analysis.unobserved.emplace_back();
  u.name = "partner-7";
  u.public_key = "EE77";
  u.addr = "10.0.0.7:9000";
  v1::Snapshot s;
  s.add_peers()->set_remote_addr("10.0.0.7:9000");
  s.mutable_consensus()->set_current_leader("ee77");
  const std::map<std::string, std::string> names = PeerNamesFor(s, view, &analysis);
  EXPECT_EQ(names.at("10.0.0.7:9000"), "partner-7");
  EXPECT_EQ(names.at("ee77"), "partner-7");
}

}  // namespace
}  // namespace guts::collector
