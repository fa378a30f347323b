#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace guts::testing {

namespace {

// Appends every thread's backtrace of `pid` to `log_path` (gdb attaches, prints, detaches);
// bounded to 60 s. Nothing when gdb is not installed.
void AppendStacks(pid_t pid, const std::string& log_path) {
  if (access("/usr/bin/gdb", X_OK) != 0) return;
  {
    std::ofstream log(log_path, std::ios::app);
    log << "\n--- still running after its grace period: the threads' stacks before SIGKILL ---\n";
  }
  std::string command =
      absl::StrCat("timeout 60 /usr/bin/gdb -p ", pid, " -batch -nx -ex 'thread apply all bt' >>'",
                   log_path, "' 2>&1");
  (void)std::system(command.c_str());
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path)
    : log_path_(log_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    error_ = absl::StrCat("cannot start ", argv[0], ": ", strerror(rc));
  }
}

ChildProcess::~ChildProcess() { Stop(); }

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

bool ChildProcess::Signal(int signal) { return Running() && kill(pid_, signal) == 0; }

int ChildProcess::Stop(int signal, absl::Duration grace) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  if (signal != SIGCONT) kill(pid_, SIGCONT);
  absl::Time deadline = absl::Now() + grace;
  int status = 0;
  while (absl::Now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (signal != SIGKILL) AppendStacks(pid_, log_path_);
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string BinaryPath(const std::string& name) { return absl::StrCat(GUTS_BINARY_DIR, "/", name); }

absl::StatusOr<std::string> WaitForReadyFile(const std::string& path, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      if (nlohmann::json::accept(text.str())) return text.str();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no ready file at ", path, " after ", absl::FormatDuration(timeout)));
}

std::string FreshTempDir(const std::string& name) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("guts-", name, "-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

ShellResult Shell(const std::string& command) {
  ShellResult r;
  std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), pipe)) r.output.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace guts::testing
