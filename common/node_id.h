// The one grammar of node ids, enforced wherever one arrives: at ingest (the Hello), in
// queries, in bundle requests and in every path built from one (bundle files, gutsctl output).
//
// A node id is 1 to 128 characters of A-Z a-z 0-9 . _ : - that does not start with '.', ':'
// or '-': so it is never ".", "..", a hidden file or an option, and never holds a '/'.
//
// Example:
//   if (!guts::ValidNodeId(hello.node_id())) return absl::InvalidArgumentError(...);
#pragma once

#include "absl/strings/string_view.h"

namespace guts {

inline constexpr absl::string_view kNodeIdGrammar =
    "1-128 characters of A-Z a-z 0-9 . _ : -, not starting with . : or -";

// True when `id` follows the grammar above. Thread-safe.
bool ValidNodeId(absl::string_view id);

}  // namespace guts
