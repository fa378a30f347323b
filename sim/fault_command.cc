#include "sim/fault_command.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace guts::sim {

const char kFaultUsage[] =
    "commands: partition G1|G2[|G3..] (groups like v1,v2,v3), heal, drop A B, undrop A B, "
    "link A B down|up, isolate A [inbound|outbound|both], kill A, restart A, pause A, resume A, "
    "halt, stall, unhalt, slow A FACTOR, peer-drop NODE_FRACTION PEER_FRACTION, fork G1|G2, "
    "disk A RATIO, config-fallback A [off] (restarts A on defaults: API on 127.0.0.1 only), "
    "clock A OFFSET (e.g. +5m: shifts only A's log timestamps; a real host's skewed clock also "
    "moves its agent's clock, which the sim cannot do: run that agent under faketime), "
    "engine-fail A (A's consensus thread dies, its API stays up), disallow A B / allow A B "
    "(B leaves / rejoins A's p2p.allowed_peers: the pair cannot connect), status";

namespace {

absl::StatusOr<int> Node(const std::string& name, int node_count) {
  int n = 0;
  if (name.size() < 2 || name[0] != 'v' || !absl::SimpleAtoi(name.substr(1), &n) || n < 1 ||
      n > node_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown node '", name, "' (the network has v1..v", node_count, ")"));
  }
  return n - 1;
}

absl::StatusOr<std::vector<std::vector<int>>> Groups(const std::string& spec, int node_count,
                                                     size_t min_groups) {
  std::vector<std::vector<int>> groups;
  std::set<int> seen;
  for (absl::string_view g : absl::StrSplit(spec, '|')) {
    std::vector<int> group;
    for (absl::string_view name : absl::StrSplit(g, ',', absl::SkipWhitespace())) {
      absl::StatusOr<int> i = Node(std::string(name), node_count);
      if (!i.ok()) return i.status();
      if (!seen.insert(*i).second) {
        return absl::InvalidArgumentError(absl::StrCat("node '", name, "' is in two groups"));
      }
      group.push_back(*i);
    }
    if (group.empty())
      return absl::InvalidArgumentError(absl::StrCat("empty group in '", spec, "'"));
    groups.push_back(group);
  }
  if (groups.size() < min_groups) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", spec, "' needs at least ", min_groups, " groups separated by '|'"));
  }
  return groups;
}

absl::StatusOr<double> Number(const std::string& text, double lo, double hi, const char* what) {
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a number in [", lo, ", ", hi, "], got '", text, "'"));
  }
  return v;
}

}  // namespace

absl::StatusOr<FaultCommand> ParseFaultCommand(const std::vector<std::string>& words,
                                               int node_count) {
  if (words.empty()) return absl::InvalidArgumentError("empty command");
  FaultCommand c;
  c.text = absl::StrJoin(words, " ");
  c.words = words;
  const std::string& verb = words[0];
  auto want = [&](size_t lo, size_t hi, const char* usage) -> absl::Status {
    if (words.size() - 1 < lo || words.size() - 1 > hi) {
      return absl::InvalidArgumentError(absl::StrCat("usage: ", usage));
    }
    return absl::OkStatus();
  };
  auto nodes_from = [&](size_t first, size_t count) -> absl::Status {
    for (size_t i = first; i < first + count; ++i) {
      absl::StatusOr<int> n = Node(words[i], node_count);
      if (!n.ok()) return n.status();
      c.nodes.push_back(*n);
    }
    return absl::OkStatus();
  };
#define RETURN_IF_ERROR(expr) \
  do {                        \
    absl::Status _s = (expr); \
    if (!_s.ok()) return _s;  \
  } while (0)
  if (verb == "partition" || verb == "fork") {
    RETURN_IF_ERROR(want(1, 1, verb == "fork" ? "fork G1|G2" : "partition G1|G2[|G3...]"));
    c.kind = verb == "fork" ? FaultKind::kFork : FaultKind::kPartition;
    absl::StatusOr<std::vector<std::vector<int>>> g = Groups(words[1], node_count, 2);
    if (!g.ok()) return g.status();
    c.groups = *g;
  } else if (verb == "heal" || verb == "halt" || verb == "stall" || verb == "unhalt" ||
             verb == "status") {
    RETURN_IF_ERROR(want(0, 0, verb.c_str()));
    c.kind = verb == "heal"     ? FaultKind::kHeal
             : verb == "halt"   ? FaultKind::kHalt
             : verb == "stall"  ? FaultKind::kStall
             : verb == "unhalt" ? FaultKind::kUnhalt
                                : FaultKind::kStatus;
  } else if (verb == "drop" || verb == "undrop") {
    RETURN_IF_ERROR(want(2, 2, "drop|undrop FROM TO"));
    c.kind = verb == "drop" ? FaultKind::kDrop : FaultKind::kUndrop;
    RETURN_IF_ERROR(nodes_from(1, 2));
    if (c.nodes[0] == c.nodes[1]) return absl::InvalidArgumentError("a link needs two nodes");
  } else if (verb == "link") {
    RETURN_IF_ERROR(want(3, 3, "link A B down|up"));
    c.kind = FaultKind::kLink;
    RETURN_IF_ERROR(nodes_from(1, 2));
    if (c.nodes[0] == c.nodes[1]) return absl::InvalidArgumentError("a link needs two nodes");
    if (words[3] != "down" && words[3] != "up") {
      return absl::InvalidArgumentError("usage: link A B down|up");
    }
    c.off = words[3] == "up";
  } else if (verb == "isolate") {
    RETURN_IF_ERROR(want(1, 2, "isolate A [inbound|outbound|both]"));
    c.kind = FaultKind::kIsolate;
    RETURN_IF_ERROR(nodes_from(1, 1));
    if (words.size() == 3) {
      if (words[2] == "inbound") {
        c.direction = Direction::kInbound;
      } else if (words[2] == "outbound") {
        c.direction = Direction::kOutbound;
      } else if (words[2] != "both") {
        return absl::InvalidArgumentError("usage: isolate A [inbound|outbound|both]");
      }
    }
  } else if (verb == "kill" || verb == "restart" || verb == "pause" || verb == "resume") {
    RETURN_IF_ERROR(want(1, 1, absl::StrCat(verb, " A").c_str()));
    c.kind = verb == "kill"      ? FaultKind::kKill
             : verb == "restart" ? FaultKind::kRestart
             : verb == "pause"   ? FaultKind::kPause
                                 : FaultKind::kResume;
    RETURN_IF_ERROR(nodes_from(1, 1));
  } else if (verb == "slow") {
    RETURN_IF_ERROR(want(2, 2, "slow A FACTOR (0 < FACTOR <= 1)"));
    c.kind = FaultKind::kSlow;
    RETURN_IF_ERROR(nodes_from(1, 1));
    absl::StatusOr<double> f = Number(words[2], 0.01, 1.0, "slow factor");
    if (!f.ok()) return f.status();
    c.value = *f;
  } else if (verb == "peer-drop") {
    RETURN_IF_ERROR(want(2, 2, "peer-drop NODE_FRACTION PEER_FRACTION"));
    c.kind = FaultKind::kPeerDrop;
    absl::StatusOr<double> p = Number(words[1], 0, 1, "node fraction");
    if (!p.ok()) return p.status();
    absl::StatusOr<double> q = Number(words[2], 0, 1, "peer fraction");
    if (!q.ok()) return q.status();
    c.value = *p;
    c.value2 = *q;
  } else if (verb == "disk") {
    RETURN_IF_ERROR(want(2, 2, "disk A RATIO (0..0.99)"));
    c.kind = FaultKind::kDisk;
    RETURN_IF_ERROR(nodes_from(1, 1));
    absl::StatusOr<double> r = Number(words[2], 0, 0.99, "disk ratio");
    if (!r.ok()) return r.status();
    c.value = *r;
  } else if (verb == "config-fallback") {
    RETURN_IF_ERROR(want(1, 2, "config-fallback A [off]"));
    c.kind = FaultKind::kConfigFallback;
    RETURN_IF_ERROR(nodes_from(1, 1));
    if (words.size() == 3 && words[2] != "off") {
      return absl::InvalidArgumentError("usage: config-fallback A [off]");
    }
    c.off = words.size() == 3;
  } else if (verb == "engine-fail") {
    RETURN_IF_ERROR(want(1, 1, "engine-fail A"));
    c.kind = FaultKind::kEngineFail;
    RETURN_IF_ERROR(nodes_from(1, 1));
  } else if (verb == "disallow" || verb == "allow") {
    RETURN_IF_ERROR(want(2, 2, "disallow|allow A B (B leaves/rejoins A's allowed_peers)"));
    c.kind = FaultKind::kDisallow;
    c.off = verb == "allow";
    RETURN_IF_ERROR(nodes_from(1, 2));
    if (c.nodes[0] == c.nodes[1]) return absl::InvalidArgumentError("a pair needs two nodes");
  } else if (verb == "clock") {
    RETURN_IF_ERROR(want(2, 2, "clock A OFFSET (e.g. +5m, -30s, 0s)"));
    c.kind = FaultKind::kClock;
    RETURN_IF_ERROR(nodes_from(1, 1));
    std::string text = words[2];
    if (!text.empty() && text[0] == '+') text = text.substr(1);
    if (!absl::ParseDuration(text, &c.offset)) {
      return absl::InvalidArgumentError(absl::StrCat("bad clock offset '", words[2], "'"));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown command '", verb, "'; ", kFaultUsage));
  }
#undef RETURN_IF_ERROR
  return c;
}

}  // namespace guts::sim
