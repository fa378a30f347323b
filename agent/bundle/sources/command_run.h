// Runs a command (no shell) and streams its stdout into a SourceOutput, with a hard timeout.
//
// The child is killed (SIGKILL) when the timeout passes or the output is full, so a hung
// command never outlives its source. NOT_FOUND when the program is missing; DEADLINE_EXCEEDED
// on timeout; INTERNAL for a non-zero exit (stderr's first line in the message).
// Thread-safe.
#ifndef GUTS_AGENT_BUNDLE_SOURCES_COMMAND_RUN_H_
#define GUTS_AGENT_BUNDLE_SOURCES_COMMAND_RUN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/bundle/source_output.h"

namespace guts::bundle {

absl::Status RunCommand(const std::vector<std::string>& argv, absl::Duration timeout,
                        SourceOutput& out);

// True when `program` is found on PATH.
bool ProgramExists(const std::string& program);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_SOURCES_COMMAND_RUN_H_
