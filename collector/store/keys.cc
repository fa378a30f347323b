#include "collector/store/keys.h"

#include "absl/strings/str_cat.h"
#include "common/node_id.h"

namespace guts::collector::keys {
namespace {

constexpr char kSep = '\0';

// Splits "node '\0' rest" and returns the node; `rest` gets what follows the separator.
bool SplitNode(absl::string_view key, std::string* node, absl::string_view* rest) {
  size_t sep = key.find(kSep);
  if (sep == absl::string_view::npos || sep == 0) return false;
  *node = std::string(key.substr(0, sep));
  *rest = key.substr(sep + 1);
  return true;
}

}  // namespace

void AppendBe64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t DecodeBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string NodePrefix(absl::string_view node) {
  std::string k(node);
  k.push_back(kSep);
  return k;
}

std::string NodeEnd(absl::string_view node) {
  std::string k(node);
  k.push_back('\x01');
  return k;
}

std::string SnapshotTimeBound(absl::string_view node, int64_t unix_ms) {
  std::string k = NodePrefix(node);
  AppendBe64(&k, unix_ms < 0 ? 0 : static_cast<uint64_t>(unix_ms));
  return k;
}

std::string SnapshotKey(absl::string_view node, int64_t taken_unix_ms, uint64_t seq) {
  std::string k = SnapshotTimeBound(node, taken_unix_ms);
  AppendBe64(&k, seq);
  return k;
}

absl::StatusOr<SnapshotKeyParts> ParseSnapshotKey(absl::string_view key) {
  SnapshotKeyParts parts;
  absl::string_view rest;
  if (!SplitNode(key, &parts.node, &rest) || rest.size() != 16) {
    return absl::DataLossError(absl::StrCat("not a snapshot key (", key.size(), " bytes)"));
  }
  parts.taken_unix_ms = static_cast<int64_t>(DecodeBe64(rest.data()));
  parts.seq = DecodeBe64(rest.data() + 8);
  return parts;
}

void AppendSnapshotValueHeader(std::string* out, SnapshotValueKind kind, uint64_t seq_gap) {
  out->push_back('\0');
  out->push_back(static_cast<char>(kind));
  if (kind != SnapshotValueKind::kChainNext) return;
  for (; seq_gap >= 0x80; seq_gap >>= 7) out->push_back(static_cast<char>((seq_gap & 0x7f) | 0x80));
  out->push_back(static_cast<char>(seq_gap));
}

absl::StatusOr<SnapshotValue> ParseSnapshotValue(absl::string_view bytes) {
  SnapshotValue v;
  if (bytes.empty() || bytes[0] != '\0') {
    v.payload = bytes;
    return v;
  }
  if (bytes.size() < 2) return absl::DataLossError("snapshot value: truncated header");
  v.kind = static_cast<SnapshotValueKind>(bytes[1]);
  size_t pos = 2;
  switch (v.kind) {
    case SnapshotValueKind::kChainStart:
    case SnapshotValueKind::kAlone:
      break;
    case SnapshotValueKind::kChainNext: {
      int shift = 0;
      for (;; shift += 7) {
        if (pos >= bytes.size() || shift > 63) {
          return absl::DataLossError("snapshot value: truncated seq gap");
        }
        uint8_t b = static_cast<uint8_t>(bytes[pos++]);
        v.seq_gap |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) break;
      }
      break;
    }
    default:
      return absl::DataLossError(
          absl::StrCat("snapshot value: unknown kind ", static_cast<int>(bytes[1])));
  }
  v.payload = bytes.substr(pos);
  return v;
}

std::string LatestSnapshotKey(absl::string_view node) { return NodePrefix(node) + "s"; }
std::string HelloKey(absl::string_view node) { return NodePrefix(node) + "h"; }

absl::StatusOr<LatestKeyParts> ParseLatestKey(absl::string_view key) {
  LatestKeyParts parts;
  absl::string_view rest;
  if (!SplitNode(key, &parts.node, &rest) || rest.size() != 1 ||
      (rest[0] != 's' && rest[0] != 'h')) {
    return absl::DataLossError("not a latest key");
  }
  parts.kind = rest[0] == 's' ? LatestKind::kSnapshot : LatestKind::kHello;
  return parts;
}

std::string EncodeLatestValue(const LatestValue& value) {
  std::string out;
  out.reserve(17 + value.snapshot_key.size() + value.snapshot.size());
  AppendBe64(&out, static_cast<uint64_t>(value.received_unix_ms));
  AppendBe64(&out, static_cast<uint64_t>(value.first_seen_unix_ms));
  if (!value.snapshot_key.empty()) {
    out.push_back('\0');
    out.append(value.snapshot_key);
  } else {
    out.append(value.snapshot);
  }
  return out;
}

absl::StatusOr<LatestValue> DecodeLatestValue(absl::string_view bytes) {
  if (bytes.size() < 16) return absl::DataLossError("latest value shorter than 16 bytes");
  LatestValue v;
  v.received_unix_ms = static_cast<int64_t>(DecodeBe64(bytes.data()));
  v.first_seen_unix_ms = static_cast<int64_t>(DecodeBe64(bytes.data() + 8));
  absl::string_view rest = bytes.substr(16);
  if (!rest.empty() && rest.front() == '\0') {
    rest.remove_prefix(1);
    if (!ParseSnapshotKey(rest).ok()) {
      return absl::DataLossError("latest value names no snapshot key");
    }
    v.snapshot_key = std::string(rest);
  } else {
    v.snapshot = std::string(rest);
  }
  return v;
}

std::string IncidentKey(absl::string_view id) { return std::string(id); }
std::string BundleKey(absl::string_view id) { return std::string(id); }

std::string BundleChunkPrefix(absl::string_view id) { return NodePrefix(id); }

std::string BundleChunkKey(absl::string_view id, uint64_t offset) {
  std::string k = BundleChunkPrefix(id);
  AppendBe64(&k, offset);
  return k;
}

absl::StatusOr<uint64_t> ParseBundleChunkOffset(absl::string_view key) {
  std::string id;
  absl::string_view rest;
  if (!SplitNode(key, &id, &rest) || rest.size() != 8) {
    return absl::DataLossError("not a bundle chunk key");
  }
  return DecodeBe64(rest.data());
}

bool ValidNodeId(absl::string_view node) { return guts::ValidNodeId(node); }

std::string RoomRecordKey(absl::string_view room, absl::string_view id) {
  return absl::StrCat(room, "/", id);
}

}  // namespace guts::collector::keys
