// Process-wide logging setup for every guts-diag binary.
//
// Example:
//   guts::InitLogging("guts-agent", "info");
//   spdlog::info("connected to {}", addr);
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace guts {

// Configures spdlog's default logger to write to stderr as "time level [process] message".
// Returns INVALID_ARGUMENT for a level that is not one of trace, debug, info, warn, error,
// critical, off. Thread-safe after it returns; call once at start-up before other threads run.
absl::Status InitLogging(absl::string_view process_name, absl::string_view level);

}  // namespace guts
