// Follows a log file like `tail -F`: survives rotation (the path now names another inode: the
// rest of the old file is read, then the new one from its start) and truncation (the file got
// shorter than our offset: start again from 0). At first open it starts from the last
// `initial_bytes` of the file, so that the current height and the last start's warnings are
// seen without reading a huge history.
//
// Errors: NOT_FOUND while the file does not exist (it may appear later).
#pragma once

#include <sys/types.h>

#include <string>

#include "agent/log_tail.h"

namespace guts::agent {

class LogFileTail : public LogTail {
 public:
  explicit LogFileTail(std::string path, size_t initial_bytes = 1 << 20);
  ~LogFileTail() override;

  absl::StatusOr<std::vector<std::string>> ReadLines(size_t max_bytes) override;

 private:
  // Reads what is available from fd_ into lines (at most max_bytes); true at end of file.
  bool Drain(size_t max_bytes, std::vector<std::string>& lines);

  std::string path_;
  size_t initial_bytes_;
  int fd_ = -1;
  ino_t inode_ = 0;
  off_t offset_ = 0;
  bool first_open_ = true;
  bool skip_partial_ = false;  // started mid-file: drop the first (partial) line
  std::string partial_;
};

}  // namespace guts::agent
