#include "sim/faults.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "sim/disk_fill.h"

namespace guts::sim {
namespace {

void CutBetween(Network& net, const std::vector<std::vector<int>>& groups) {
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t h = 0; h < groups.size(); ++h) {
      if (g == h) continue;
      for (int a : groups[g]) {
        for (int b : groups[h]) net.SetCut(a, b, true);
      }
    }
  }
}

// Fleet-wide peer loss: the first ceil(P x N) nodes each lose ceil(Q x their peers) links,
// cut (both ways) among the affected nodes first, so the unaffected nodes keep the graph
// connected.
void PeerDrop(Network& net, double node_fraction, double peer_fraction) {
  const int n = net.size();
  int affected = static_cast<int>(std::ceil(node_fraction * n));
  int lose = static_cast<int>(std::ceil(peer_fraction * (n - 1)));
  std::vector<int> lost(n, 0);
  for (int a = 0; a < affected; ++a) {
    for (int step = 1; step < n && lost[a] < lose; ++step) {
      int b = (a + step) % n;
      if (b >= affected && step < affected) continue;  // Prefer affected partners first.
      if (net.Cut(a, b) || lost[b] >= lose) continue;
      net.SetCut(a, b, true);
      net.SetCut(b, a, true);
      ++lost[a];
      ++lost[b];
    }
  }
}

}  // namespace

absl::StatusOr<nlohmann::json> ApplyFault(Network& net, const FaultCommand& c) {
  absl::Time now = absl::Now();
  auto node = [&](size_t k) -> SimNode& { return net.node(c.nodes[k]); };
  // In a sharded network every process receives every command; a command about one node
  // acts in the process that hosts it, link state is kept everywhere.
  bool one_node = c.kind == FaultKind::kKill || c.kind == FaultKind::kRestart ||
                  c.kind == FaultKind::kPause || c.kind == FaultKind::kResume ||
                  c.kind == FaultKind::kSlow || c.kind == FaultKind::kDisk ||
                  c.kind == FaultKind::kConfigFallback || c.kind == FaultKind::kClock ||
                  c.kind == FaultKind::kEngineFail || c.kind == FaultKind::kDisallow;
  if (one_node && !net.local(c.nodes[0])) return nlohmann::json{{"ok", true}, {"applied", c.text}};
  absl::Status s;
  switch (c.kind) {
    case FaultKind::kStatus:
      return net.StatusJson();
    case FaultKind::kPartition:
      CutBetween(net, c.groups);
      s = net.CommitLinks();
      break;
    case FaultKind::kDrop:
    case FaultKind::kUndrop:
      net.SetCut(c.nodes[0], c.nodes[1], c.kind == FaultKind::kDrop);
      s = net.CommitLinks();
      break;
    case FaultKind::kLink:
      net.SetCut(c.nodes[0], c.nodes[1], !c.off);
      net.SetCut(c.nodes[1], c.nodes[0], !c.off);
      s = net.CommitLinks();
      break;
    case FaultKind::kIsolate:
      for (int peer = 0; peer < net.size(); ++peer) {
        if (c.direction != Direction::kInbound) net.SetCut(c.nodes[0], peer, true);
        if (c.direction != Direction::kOutbound) net.SetCut(peer, c.nodes[0], true);
      }
      s = net.CommitLinks();
      break;
    case FaultKind::kPeerDrop:
      PeerDrop(net, c.value, c.value2);
      s = net.CommitLinks();
      break;
    case FaultKind::kKill:
      node(0).Kill();
      break;
    case FaultKind::kRestart:
      s = node(0).Restart(node(0).config_fallback());
      break;
    case FaultKind::kPause:
      node(0).Pause();
      break;
    case FaultKind::kResume:
      node(0).Resume();
      break;
    case FaultKind::kHalt:
    case FaultKind::kStall:
    case FaultKind::kUnhalt:
      for (int i = 0; i < net.size(); ++i) {
        if (!net.local(i)) continue;
        net.node(i).replica().set_halted(c.kind == FaultKind::kHalt);
        net.node(i).replica().set_withhold_proposals(c.kind == FaultKind::kStall);
      }
      break;
    case FaultKind::kSlow:
      node(0).replica().set_speed(c.value);
      break;
    case FaultKind::kFork: {
      for (size_t g = 0; g < c.groups.size(); ++g) {
        std::string salt = absl::StrCat("fork-", g);
        for (int i : c.groups[g]) {
          if (!net.local(i)) continue;
          uint64_t height = net.node(i).replica().Fork(salt, now);
          if (g > 0) net.RecordFork(i, height);
        }
      }
      // The groups cannot agree any more; cutting them apart keeps each one's chain its own.
      CutBetween(net, c.groups);
      s = net.CommitLinks();
      break;
    }
    case FaultKind::kDisk:
      s = FillDataDir(node(0).identity().data_dir, c.value);
      if (s.ok() && c.value > 0) net.filled_disks().push_back(c.nodes[0]);
      break;
    case FaultKind::kConfigFallback:
      s = node(0).Restart(!c.off);
      break;
    case FaultKind::kClock:
      node(0).log().set_clock_offset(c.offset);
      break;
    case FaultKind::kEngineFail:
      if (!node(0).running()) {
        return absl::FailedPreconditionError(
            absl::StrCat(node(0).identity().name, " is not running"));
      }
      node(0).FailEngine();
      break;
    case FaultKind::kDisallow:
      s = node(0).RefusePeer(static_cast<uint32_t>(c.nodes[1]), net.PeerIp(c.nodes[1]), !c.off);
      break;
    case FaultKind::kHeal:
      net.ClearCuts();
      s = net.CommitLinks();
      net.HealForks();
      for (int i = 0; i < net.size(); ++i) {
        if (!net.local(i)) continue;
        SimNode& n = net.node(i);
        n.replica().set_halted(false);
        n.replica().set_withhold_proposals(false);
        n.replica().set_speed(1.0);
        n.log().set_clock_offset(absl::ZeroDuration());
        n.Resume();
        std::set<uint32_t> refused = n.refused_peers();
        for (uint32_t peer : refused) {
          absl::Status r = n.RefusePeer(peer, net.PeerIp(static_cast<int>(peer)), false);
          if (s.ok()) s = r;
        }
        if (!n.running() || n.config_fallback() || n.engine_failed()) {
          absl::Status r = n.Restart(false);
          if (s.ok()) s = r;
        }
      }
      for (int i : net.filled_disks()) {
        absl::Status r = FillDataDir(net.node(i).identity().data_dir, 0);
        if (s.ok()) s = r;
      }
      net.filled_disks().clear();
      break;
  }
  if (!s.ok()) return s;
  return nlohmann::json{{"ok", true}, {"applied", c.text}};
}

}  // namespace guts::sim
