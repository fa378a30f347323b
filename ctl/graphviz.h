// Graphviz: turns dot text into svg or png by running Debian's `dot` program.
//
// Thread-safe (no shared state); blocks until `dot` exits.
//
// Example:
//   absl::StatusOr<std::string> png = RunGraphviz(RenderDot(topology), "png");
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace guts::ctl {

// The bytes `dot -T<format>` prints for `dot_text`. `format` is "svg" or "png".
// FAILED_PRECONDITION naming the fix when `dot` is not on PATH; INTERNAL with dot's own
// error output when it fails.
absl::StatusOr<std::string> RunGraphviz(absl::string_view dot_text, absl::string_view format);

}  // namespace guts::ctl
