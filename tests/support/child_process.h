// ChildProcess: a real process started by a test, stopped (SIGTERM, then SIGKILL) when the
// object goes away, so no test leaves anything running.
//
// Example:
//   ChildProcess sim({BinaryPath("guts-sim"), "run", "--nodes", "3"}, "/tmp/t/sim.log");
//   ASSERT_TRUE(sim.ok()) << sim.error();
//   ...
//   sim.Kill(SIGKILL);   // or let the destructor stop it
//
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace guts::testing {

class ChildProcess {
 public:
  // Starts argv[0] with argv, stdout and stderr appended to `log_path`.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();  // Stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }

  // True while the process has not exited.
  bool Running();

  // Sends `signal` (e.g. SIGSTOP, SIGCONT to pause and resume it) without waiting. False when
  // the process is not running.
  bool Signal(int signal);

  // Sends `signal` and waits up to `grace` for the exit; SIGKILL after that (a stopped process is
  // continued so it can exit). A process still there after the grace is hung: when gdb is
  // installed, every thread's stack is appended to its log first, so a rare hang leaves the
  // place where it hung behind. Returns the exit status as waitpid reports it, or -1 when the
  // process was not running. Idempotent.
  int Stop(int signal = 15, absl::Duration grace = absl::Seconds(10));

 private:
  pid_t pid_ = -1;
  std::string error_;
  std::string log_path_;
};

// What a shell command printed (stdout and stderr together) and its exit code (-1 when it could
// not run or a signal ended it).
struct ShellResult {
  int exit_code = -1;
  std::string output;
};

// Runs `command` with /bin/sh to completion.
ShellResult Shell(const std::string& command);

// Path of a binary built by this project (the directory is compiled in by CMake).
std::string BinaryPath(const std::string& name);

// Waits until `path` exists and parses as a JSON object, up to `timeout`; returns its text.
absl::StatusOr<std::string> WaitForReadyFile(const std::string& path, absl::Duration timeout);

// A fresh, empty directory for one test under the system temp dir.
std::string FreshTempDir(const std::string& name);

}  // namespace guts::testing
