// Byte layouts of every RocksDB key the collector writes. Nothing else builds keys by hand.
//
// Node ids are validated (ValidNodeId) to exclude '\0', so "node '\0'" is an unambiguous
// prefix: every key of node "v1" sorts before any key of "v10", and a range scan over one node
// never touches another's keys. Numbers are fixed-width big-endian so that byte order is
// numeric order.
//
// Example:
//   std::string k = SnapshotKey("v3", 1700000000000, 42);
//   absl::StatusOr<SnapshotKeyParts> parts = ParseSnapshotKey(k);  // {"v3", 1700000000000, 42}
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace guts::collector::keys {

// Appends `v` as 8 big-endian bytes; DecodeBe64 reads them back. REQUIRES: 8 bytes at `p`.
void AppendBe64(std::string* out, uint64_t v);
uint64_t DecodeBe64(const char* p);

// snapshots CF: node '\0' be64(taken_unix_ms) be64(seq). Negative times clamp to 0.
std::string SnapshotKey(absl::string_view node, int64_t taken_unix_ms, uint64_t seq);
// First key of `node` at or after `unix_ms`; with SnapshotKey this bounds a time range.
std::string SnapshotTimeBound(absl::string_view node, int64_t unix_ms);
// The prefix of every snapshot key of `node`, and the first key past all of them.
std::string NodePrefix(absl::string_view node);
std::string NodeEnd(absl::string_view node);

struct SnapshotKeyParts {
  std::string node;
  int64_t taken_unix_ms = 0;
  uint64_t seq = 0;
};
// DATA_LOSS when `key` is not a snapshot key (wrong length or no separator).
absl::StatusOr<SnapshotKeyParts> ParseSnapshotKey(absl::string_view key);

// snapshots CF values. A value written before layout version 2 is a serialized Snapshot
// (kLegacy: its first byte is the tag of node_id, never 0). From version 2 a value is '\0', a
// kind byte, then:
//   kChainStart: the serialized snapshot; the node's next kChainNext values build on it;
//   kChainNext:  varint(seq - seq of the previous chain value of the node), then a
//                SnapshotDelta (snapshot_delta.h) from that value's snapshot;
//   kAlone:      the serialized snapshot; nothing builds on it (written out of time order).
// Chain values of a node are written in key order, so reading keys in order rebuilds them.
enum class SnapshotValueKind : uint8_t { kLegacy = 0, kChainStart = 1, kChainNext = 2, kAlone = 3 };
struct SnapshotValue {
  SnapshotValueKind kind = SnapshotValueKind::kLegacy;
  uint64_t seq_gap = 0;       // kChainNext only
  absl::string_view payload;  // the snapshot (kLegacy, kChainStart, kAlone) or the delta
};
// Appends the bytes that precede the payload of a value of `kind` (not kLegacy).
void AppendSnapshotValueHeader(std::string* out, SnapshotValueKind kind, uint64_t seq_gap = 0);
// DATA_LOSS for an unknown kind or a truncated header. `payload` points into `bytes`.
absl::StatusOr<SnapshotValue> ParseSnapshotValue(absl::string_view bytes);

// latest CF: node '\0' 's' -> LatestValue; node '\0' 'h' -> serialized Hello.
std::string LatestSnapshotKey(absl::string_view node);
std::string HelloKey(absl::string_view node);
enum class LatestKind { kSnapshot, kHello };
struct LatestKeyParts {
  std::string node;
  LatestKind kind = LatestKind::kSnapshot;
};
absl::StatusOr<LatestKeyParts> ParseLatestKey(absl::string_view key);

// Value of a latest snapshot: be64(received_unix_ms) be64(first_seen_unix_ms), then either
//   '\0' and the snapshots-CF key of the node's latest snapshot (written since 6 Dec 2026:
//        the snapshot itself is read from there, so each snapshot's bytes are written once), or
//   the serialized snapshot (the earlier layout; its first byte is a field tag, never 0).
struct LatestValue {
  int64_t received_unix_ms = 0;
  int64_t first_seen_unix_ms = 0;
  std::string snapshot_key;  // the latest snapshot's SnapshotKey; empty in the earlier layout
  std::string snapshot;      // serialized guts.diag.v1.Snapshot; the earlier layout only
};
std::string EncodeLatestValue(const LatestValue& value);
absl::StatusOr<LatestValue> DecodeLatestValue(absl::string_view bytes);

// incidents CF: the incident id. bundles CF: the bundle id.
std::string IncidentKey(absl::string_view id);
std::string BundleKey(absl::string_view id);
// bundle_data CF: bundle id '\0' be64(offset of the chunk's first byte).
std::string BundleChunkKey(absl::string_view id, uint64_t offset);
std::string BundleChunkPrefix(absl::string_view id);
// DATA_LOSS when `key` is not a chunk key.
absl::StatusOr<uint64_t> ParseBundleChunkOffset(absl::string_view key);

// meta CF.
inline constexpr char kStoreVersionKey[] = "store_version";
// be64 unix ms: snapshots taken before it are downsampled (Store::DownsampleSnapshotsBefore).
inline constexpr char kDownsampledBeforeKey[] = "downsampled_before_ms";
// A room's small record: "<room>/<id>" (rooms: "alerting", "maintenance"). The '/' keeps them
// apart from kStoreVersionKey and from each other.
std::string RoomRecordKey(absl::string_view room, absl::string_view id);

// Node ids: 1..128 bytes of [A-Za-z0-9._:-]. Everything the collector keys by a node id
// passes through this check first.
bool ValidNodeId(absl::string_view node);

}  // namespace guts::collector::keys
