// Where the node's log lines come from: a followed file (LogFileTail) or the journal
// (JournalTail). Each call returns the complete lines that appeared since the previous call.
//
// Example:
//   std::unique_ptr<LogTail> tail = std::make_unique<LogFileTail>("/var/log/guts/node.log");
//   absl::StatusOr<std::vector<std::string>> lines = tail->ReadLines(4 << 20);
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace guts::agent {

class LogTail {
 public:
  virtual ~LogTail() = default;
  // New complete lines (without '\n'), at most about `max_bytes` of them; the rest is returned
  // by the next call. Errors name the file or command; the next call retries.
  // Thread-compatible: one caller at a time.
  virtual absl::StatusOr<std::vector<std::string>> ReadLines(size_t max_bytes) = 0;
};

}  // namespace guts::agent
