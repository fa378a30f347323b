// SnapshotDelta: a stored snapshot written as its difference from the node's previous one.
//
// Consecutive snapshots of one node carry the same fields in the same order; only the figures
// move. EncodeSnapshotDelta walks both serialized messages field by field, guided by the
// Snapshot descriptor (so it descends into PeerView, SystemFacts, map entries, ...), and writes
// one bit per field (changed or not) and, for a changed field: a varint as the zigzag
// difference from the previous value, a fixed-width value XORed with the previous one, a
// string or packed field as its new bytes. An unchanged address costs one bit, a counter that
// grew by 3 one byte, and the bitmap, the same from one second to the next, costs zstd almost
// nothing.
//
// ApplySnapshotDelta rebuilds the current snapshot's bytes exactly (byte-identical), given the
// same previous bytes.
//
// Example:
//   std::string delta;
//   if (EncodeSnapshotDelta(previous, current, &delta)) {
//     absl::StatusOr<std::string> again = ApplySnapshotDelta(previous, delta);  // == current
//   } else {
//     // the structure changed (a peer came or went): store `current` whole
//   }
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace guts::collector {

// Appends to `delta` the difference of `current` from `base`, both serialized
// guts.diag.v1.Snapshot messages, and returns true. Returns false (leaving `delta` in an
// unspecified state) when the two do not have the same fields in the same order, or when either
// is not in the canonical encoding the C++ serializer writes (only then is the rebuild exact).
bool EncodeSnapshotDelta(absl::string_view base, absl::string_view current, std::string* delta);

// The bytes EncodeSnapshotDelta was given as `current`. DATA_LOSS when `delta` does not fit
// `base` (a wrong base, or damaged bytes).
absl::StatusOr<std::string> ApplySnapshotDelta(absl::string_view base, absl::string_view delta);

}  // namespace guts::collector
