// Follows a systemd unit's journal through `journalctl -u UNIT -o json -f` in a child process
// and returns each entry's MESSAGE. Starts with the last `initial_entries` entries; if
// journalctl exits it is restarted after the last cursor seen, so nothing is read twice.
//
// Errors: UNAVAILABLE when journalctl cannot be started or exited (with its status).
#pragma once

#include <sys/types.h>

#include <string>

#include "agent/log_tail.h"

namespace guts::agent {

class JournalTail : public LogTail {
 public:
  // `journalctl` is the program to run (tests substitute a script).
  explicit JournalTail(std::string unit, std::string journalctl = "journalctl",
                       int initial_entries = 2000);
  ~JournalTail() override;  // kills and reaps the child

  absl::StatusOr<std::vector<std::string>> ReadLines(size_t max_bytes) override;

 private:
  absl::Status Spawn();
  void Reap();

  std::string unit_;
  std::string journalctl_;
  int initial_entries_;
  pid_t child_ = -1;
  int fd_ = -1;
  std::string cursor_;
  std::string partial_;
};

}  // namespace guts::agent
