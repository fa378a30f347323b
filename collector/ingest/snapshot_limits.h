// What the collector accepts from an agent: bounds on Hello and Snapshot contents, checked
// before anything is queued or stored, so that a broken or hostile agent gets a clear
// INVALID_ARGUMENT instead of filling the store.
//
// The size bounds are declared on the proto fields they bound (proto/guts/diag/v1/limits.proto:
// `[(max_bytes) = 4096]` on strings, `[(max_count) = 1024]` on repeated and map fields,
// `option (max_message_bytes)` on Snapshot) and read from the descriptors once per process;
// a string field that declares none is held to 4096 bytes. The clock bounds are configuration.
//
// Example:
//   absl::Status s = ValidateSnapshot(snapshot, "v3", absl::Now(), SnapshotLimits{});
//   if (!s.ok()) reactor->Finish(ToGrpcStatus(s));
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

struct SnapshotLimits {
  // A snapshot taken further than this from the collector's clock is refused.
  absl::Duration max_past = absl::Hours(24 * 7);
  absl::Duration max_future = absl::Hours(24);
};

// OK when `hello` names a valid node id and stays within its fields' bounds. INVALID_ARGUMENT
// naming the offending field (`hello.labels["region"]: 300 bytes, at most 256 accepted`)
// otherwise. `limits` is not read: a Hello has no clock bound.
absl::Status ValidateHello(const guts::diag::v1::Hello& hello, const SnapshotLimits& limits);

// OK when `snapshot` belongs to `node_id` (or names no node), has seq >= 1, a take time within
// the clock bounds around `now`, and stays within every bound. INVALID_ARGUMENT naming the
// offending field and element otherwise (`snapshot.peers[3].remote_addr: 5000 bytes, at most
// 4096 accepted`, `snapshot.peers: 1500 entries, at most 1024 accepted`).
absl::Status ValidateSnapshot(const guts::diag::v1::Snapshot& snapshot, const std::string& node_id,
                              absl::Time now, const SnapshotLimits& limits);

}  // namespace guts::collector
