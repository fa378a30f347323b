#include "collector/query/peer_names.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

// "ip" of "ip:port" ("[v6]:port" keeps its brackets off); the text itself without a port.
std::string IpOf(absl::string_view addr) {
  if (!addr.empty() && addr.front() == '[') {
    size_t end = addr.find(']');
    return std::string(end == absl::string_view::npos ? addr : addr.substr(1, end - 1));
  }
  size_t colon = addr.rfind(':');
  if (colon == absl::string_view::npos || addr.find(':') != colon) return std::string(addr);
  return std::string(addr.substr(0, colon));
}

struct Book {
  std::map<std::string, std::string> by_addr, by_key;
  std::map<std::string, std::set<std::string>> by_ip;  // an IP several nodes share names none
};

void AddAgent(const NodeObservation& node, Book& book) {
  const std::string& addr = !HelloOf(node).p2p_addr().empty()
                                ? HelloOf(node).p2p_addr()
                                : LatestOf(node).config().p2p_listen_addr();
  if (!addr.empty()) {
    book.by_addr[addr] = node.node_id;
    book.by_ip[IpOf(addr)].insert(node.node_id);
  }
  for (const std::string& key :
       {LatestOf(node).config().public_key(), LatestOf(node).log().public_key()}) {
    if (!key.empty()) book.by_key[absl::AsciiStrToLower(key)] = node.node_id;
  }
}

}  // namespace

std::map<std::string, std::string> PeerNamesFor(const v1::Snapshot& snapshot, const FleetView& view,
                                                const AnalysisResult* analysis) {
  Book agents;
  for (const NodeObservation& node : view.nodes) AddAgent(node, agents);
  // Validators known by list or analysis, named after the agent at their address when there is
  // one (a renamed agent), else by the list's own name.
  std::map<std::string, std::string> list_by_addr, list_by_key;
  auto add_validator = [&](const std::string& name, const std::string& key,
                           const std::string& addr) {
    std::string shown = name;
    if (auto it = agents.by_addr.find(addr); !addr.empty() && it != agents.by_addr.end()) {
      shown = it->second;
    } else if (auto k = agents.by_key.find(absl::AsciiStrToLower(key));
               !key.empty() && k != agents.by_key.end()) {
      shown = k->second;
    }
    if (shown.empty() || shown == addr) return;
    if (!addr.empty()) list_by_addr.emplace(addr, shown);
    if (!key.empty()) list_by_key.emplace(absl::AsciiStrToLower(key), shown);
  };
  for (const v1::Validator& v : snapshot.validators().validators()) {
    add_validator(v.name(), v.pubkey(), v.addr());
  }
  if (analysis != nullptr) {
    for (const UnobservedAssessment& u : analysis->unobserved) {
      add_validator(u.name, u.public_key, u.addr);
    }
  }

  std::map<std::string, std::string> out;
  auto name_addr = [&](const std::string& addr) {
    if (addr.empty()) return;
    if (auto it = agents.by_addr.find(addr); it != agents.by_addr.end()) {
      out[addr] = it->second;
    } else if (auto v = list_by_addr.find(addr); v != list_by_addr.end()) {
      out[addr] = v->second;
    } else if (auto ip = agents.by_ip.find(IpOf(addr));
               ip != agents.by_ip.end() && ip->second.size() == 1) {
      // An inbound session: the port is ephemeral, the IP alone names the peer.
      out[addr] = *ip->second.begin();
    }
  };
  for (const v1::PeerView& peer : snapshot.peers()) name_addr(peer.remote_addr());
  for (const v1::ProbeResult& probe : snapshot.probes()) name_addr(probe.addr());
  if (const std::string& leader = snapshot.consensus().current_leader(); !leader.empty()) {
    const std::string key = absl::AsciiStrToLower(leader);
    if (auto it = agents.by_key.find(key); it != agents.by_key.end()) {
      out[leader] = it->second;
    } else if (auto v = list_by_key.find(key); v != list_by_key.end()) {
      out[leader] = v->second;
    }
  }
  return out;
}

}  // namespace guts::collector
