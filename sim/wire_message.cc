#include "sim/wire_message.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace guts::sim {
namespace {

template <typename T>
void Put(std::string& out, T v) {
  for (int i = sizeof(T) - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <typename T>
bool Take(absl::string_view& in, T& v) {
  if (in.size() < sizeof(T)) return false;
  v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(sizeof(T));
  return true;
}

bool TakeId(absl::string_view& in, BlockId& id) {
  if (in.size() < id.size()) return false;
  std::memcpy(id.data(), in.data(), id.size());
  in.remove_prefix(id.size());
  return true;
}

}  // namespace

std::string EncodeFrame(const WireMessage& m) {
  std::string body;
  body.reserve(128);
  Put<uint8_t>(body, static_cast<uint8_t>(m.type));
  Put<uint32_t>(body, m.from);
  Put<uint64_t>(body, m.view);
  Put<uint64_t>(body, m.height);
  const BlockHeader& b = m.block;
  Put<uint64_t>(body, b.height);
  Put<uint64_t>(body, b.view);
  body.append(reinterpret_cast<const char*>(b.id.data()), b.id.size());
  body.append(reinterpret_cast<const char*>(b.parent.data()), b.parent.size());
  Put<uint32_t>(body, b.producer);
  Put<uint64_t>(body, static_cast<uint64_t>(b.timestamp_ms));
  Put<uint32_t>(body, b.tx_count);
  Put<uint32_t>(body, b.signature_count);
  Put<uint32_t>(body, m.to);
  std::string frame;
  frame.reserve(kFrameHeaderBytes + body.size());
  Put<uint32_t>(frame, static_cast<uint32_t>(body.size()));
  frame += body;
  return frame;
}

absl::StatusOr<WireMessage> DecodeBody(absl::string_view body) {
  WireMessage m;
  uint8_t type = 0;
  uint64_t ts = 0;
  BlockHeader& b = m.block;
  bool ok = Take(body, type) && Take(body, m.from) && Take(body, m.view) && Take(body, m.height) &&
            Take(body, b.height) && Take(body, b.view) && TakeId(body, b.id) &&
            TakeId(body, b.parent) && Take(body, b.producer) && Take(body, ts) &&
            Take(body, b.tx_count) && Take(body, b.signature_count) && Take(body, m.to);
  if (!ok) return absl::InvalidArgumentError("truncated P2P message");
  if (type < 1 || type > 8) {
    return absl::InvalidArgumentError(absl::StrCat("unknown P2P message type ", type));
  }
  m.type = static_cast<MessageType>(type);
  b.timestamp_ms = static_cast<int64_t>(ts);
  return m;
}

}  // namespace guts::sim
