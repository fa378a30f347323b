// The messages simulated validators exchange over their P2P TCP connections, and their
// framing: a 4-byte big-endian length followed by a fixed-layout body.
//
// Example:
//   WireMessage m{.type = MessageType::kHeartbeat, .from = 2, .view = 9, .height = 40};
//   std::string frame = EncodeFrame(m);
//   absl::StatusOr<WireMessage> back = DecodeBody(frame.substr(4));
//
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sim/block.h"

namespace guts::sim {

enum class MessageType : uint8_t {
  kHeartbeat = 1,      // view, height, block.id = tip: keeps sessions warm, drives sync.
  kPropose = 2,        // block: the leader's proposal for view.
  kVote = 3,           // block: a validator's vote, sent to the leader.
  kCertificate = 4,    // block: the leader reached quorum; receivers finalize it.
  kSyncRequest = 5,    // height: send me finalized blocks from this height on.
  kSyncBlock = 6,      // block: one finalized block in answer to a sync request.
  kNullify = 7,        // view: the sender timed out in view and votes to skip it.
  kNullification = 8,  // view: nullify votes of the quorum weight skipped view.
};

// WireMessage::to of a message meant for whoever receives it (every message of a full mesh).
inline constexpr uint32_t kToReceiver = 0xffffffff;

struct WireMessage {
  MessageType type = MessageType::kHeartbeat;
  uint32_t from = 0;  // Sender's validator index (0-based).
  // The destination's index when the message is relayed (light mode, see overlay.h): a
  // receiver that is not `to` forwards it.
  uint32_t to = kToReceiver;
  uint64_t view = 0;
  uint64_t height = 0;
  BlockHeader block;
};

// Length prefix plus body.
std::string EncodeFrame(const WireMessage& m);

// Size of a frame's length prefix, and the largest body a peer may announce.
inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr uint32_t kMaxBodyBytes = 4096;

// Parses a body (without the length prefix). INVALID_ARGUMENT on a short or unknown body.
absl::StatusOr<WireMessage> DecodeBody(absl::string_view body);

}  // namespace guts::sim
