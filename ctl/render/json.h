// JSON renderer: the stable machine-readable schema of `gutsctl -o json`.
//
// Schema: the proto3 JSON mapping of the FleetService message each command returns
// (proto/guts/diag/v1/fleet.proto), with these fixed choices so that scripts can rely on it:
//   - keys are the proto field names (snake_case, e.g. "node_id", "last_seen_age_ms");
//   - every field is printed, including zeroes, empty strings and false;
//   - enums are their names ("HEALTHY", "P1", "PARTITION_NO_QUORUM");
//   - 64-bit integers are JSON numbers (the plain proto3 mapping would print strings), so
//     `jq '.nodes[] | select(.lag > 5)'` works;
//   - keys appear in field-number order, map keys sorted; two-space indentation; a trailing
//     newline.
// Fields are only ever added to the protos, never renamed, so the schema only grows.
// Thread-safe; no I/O.
//
// Example:
//   std::cout << RenderJson(fleet_status);
#pragma once

#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::ctl {

std::string RenderJson(const google::protobuf::Message& message);

// A node's history: {"node_id": ..., "points": [HistoryPoint...]}.
std::string RenderHistoryJson(const std::string& node_id,
                              const std::vector<guts::diag::v1::HistoryPoint>& points);

}  // namespace guts::ctl
