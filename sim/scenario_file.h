// Scenario files: a timeline of fault commands, one per line, "<time> <command...>", where
// time is a duration since the start of the run (10s, 1m30s, 500ms; multiplied by
// --time-scale) and the command is one of fault_command.h. Blank lines and lines starting with
// '#' are ignored.
//
//   # S02: a 5|2 split keeping quorum, healed after a minute
//   10s partition v1,v2,v3,v4,v5|v6,v7
//   70s heal
//
// Example:
//   absl::StatusOr<Scenario> s = LoadScenario("s02.txt", /*node_count=*/7);
//   if (!s.ok()) std::cerr << s.status().message();  // "s02.txt:2: unknown node 'v9' ..."
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sim/fault_command.h"

namespace guts::sim {

struct ScenarioStep {
  absl::Duration at;  // Real scale: the runner multiplies by the time scale.
  FaultCommand command;
  int line = 0;
};

using Scenario = std::vector<ScenarioStep>;  // In file order; times never decrease.

// INVALID_ARGUMENT "<name>:<line>: <problem>" for the first bad line (bad time, time going
// backwards, unknown command, unknown node, bad argument).
absl::StatusOr<Scenario> ParseScenario(absl::string_view text, absl::string_view name,
                                       int node_count);
// Reads and parses a file; NOT_FOUND when it cannot be read.
absl::StatusOr<Scenario> LoadScenario(const std::string& path, int node_count);

}  // namespace guts::sim
