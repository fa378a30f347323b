// The fault language shared by `guts-sim ctl`, the control API and scenario files: one
// command as words, e.g. {"partition", "v1,v2,v3,v4|v5,v6,v7"} or {"slow", "v5", "0.5"}.
//
// Commands (every fault has its heal):
//   partition G1|G2[|G3...]     cut every link between the groups (nodes listed in no group
//                               stay linked to everyone: a bridge)
//   heal                        undo every fault at once
//   drop A B / undrop A B       one-way: A's messages to B are lost
//   link A B down|up            both directions of one link (a flapping link)
//   isolate A [inbound|outbound|both]   cut A from every peer (default both)
//   kill A / restart A          the node's process dies (sockets close) / starts again
//   pause A / resume A          alive but silent (SIGSTOP-like) / continues
//   halt / stall / unhalt       application halt (views steady) / leaders fail to propose
//                               (views climb) / back to normal
//   slow A F                    A finalizes at F times the network's pace (1 = normal)
//   peer-drop P Q               fleet-wide: a fraction P of nodes each lose a fraction Q of
//                               their peers (links cut among the affected nodes)
//   fork G1|G2                  each group finalizes its own block at its next height
//   disk A R                    fill A's data dir filesystem to ratio R (0 frees it)
//   config-fallback A [off]     restart A on default config (warning printed, API bound on
//                               the default 127.0.0.1:<api port> only, as the real node; in
//                               Simplex mode it also runs no consensus and no P2P, as
//                               consensus.enabled defaults to false) / fixed
//   clock A OFFSET              skew A's log timestamps, e.g. +5m, -30s. That is all of a
//                               skewed host clock the sim owns: on a real host the same clock
//                               also moves the agent's; tests run that agent under faketime
//   engine-fail A               A's consensus thread dies (`Consensus engine task failed`): its
//                               P2P sessions close, its API stays up; restart A or heal
//   disallow A B / allow A B    B leaves / rejoins A's p2p.allowed_peers (config.yaml is
//                               rewritten): A's authenticated P2P layer refuses B, so neither
//                               direction of the pair connects
//   status                      the network's state as JSON
//
// Example:
//   absl::StatusOr<FaultCommand> c = ParseFaultCommand({"drop", "v3", "v5"}, /*nodes=*/7);
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace guts::sim {

enum class FaultKind {
  kPartition,
  kHeal,
  kDrop,
  kUndrop,
  kLink,
  kIsolate,
  kKill,
  kRestart,
  kPause,
  kResume,
  kHalt,
  kStall,
  kUnhalt,
  kSlow,
  kPeerDrop,
  kFork,
  kDisk,
  kConfigFallback,
  kClock,
  kEngineFail,
  kDisallow,
  kStatus,
};

enum class Direction { kBoth, kInbound, kOutbound };

struct FaultCommand {
  FaultKind kind = FaultKind::kStatus;
  std::vector<std::vector<int>> groups;  // 0-based node indexes (partition, fork).
  std::vector<int> nodes;                // 0-based node indexes of the node arguments.
  double value = 0;                      // slow factor, disk ratio, peer-drop node fraction.
  double value2 = 0;                     // peer-drop peer fraction.
  bool off = false;                      // link ... up, config-fallback ... off, allow.
  Direction direction = Direction::kBoth;
  absl::Duration offset;           // clock.
  std::string text;                // The command as given, for logs and replies.
  std::vector<std::string> words;  // The command's words, to forward it verbatim.
};

// Parses one command. INVALID_ARGUMENT names the problem (unknown command, missing argument,
// unknown node for a network of `node_count` nodes, bad number...).
absl::StatusOr<FaultCommand> ParseFaultCommand(const std::vector<std::string>& words,
                                               int node_count);

// A one-paragraph summary of the commands, for usage messages.
extern const char kFaultUsage[];

}  // namespace guts::sim
