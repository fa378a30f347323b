#include "agent/journal_tail.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace guts::agent {

JournalTail::JournalTail(std::string unit, std::string journalctl, int initial_entries)
    : unit_(std::move(unit)),
      journalctl_(std::move(journalctl)),
      initial_entries_(initial_entries) {}

JournalTail::~JournalTail() {
  if (child_ > 0) kill(child_, SIGTERM);
  Reap();
}

void JournalTail::Reap() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (child_ > 0) waitpid(child_, nullptr, 0);
  child_ = -1;
}

absl::Status JournalTail::Spawn() {
  std::vector<std::string> args = {journalctl_, "-u", unit_, "-o", "json", "-f", "--no-pager"};
  if (cursor_.empty()) {
    args.push_back(absl::StrCat("-n", initial_entries_));
  } else {
    args.push_back("--after-cursor=" + cursor_);
  }
  // Built before fork: the child of a threaded process may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDERR_FILENO);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  child_ = pid;
  fd_ = pipe_fds[0];
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> JournalTail::ReadLines(size_t max_bytes) {
  if (child_ < 0) {
    if (absl::Status s = Spawn(); !s.ok()) return s;
  }
  std::vector<std::string> lines;
  char buffer[64 << 10];
  size_t total = 0;
  bool exited = false;
  while (total < max_bytes) {
    ssize_t n = read(fd_, buffer, sizeof(buffer));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) {
      exited = true;
      break;
    }
    total += static_cast<size_t>(n);
    partial_.append(buffer, static_cast<size_t>(n));
  }
  size_t start = 0;
  for (size_t newline; (newline = partial_.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    nlohmann::json entry = nlohmann::json::parse(partial_.begin() + static_cast<long>(start),
                                                 partial_.begin() + static_cast<long>(newline),
                                                 nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object()) continue;
    if (auto cursor = entry.find("__CURSOR"); cursor != entry.end() && cursor->is_string()) {
      cursor_ = cursor->get<std::string>();
    }
    auto message = entry.find("MESSAGE");
    if (message == entry.end()) continue;
    if (message->is_string()) {
      lines.push_back(message->get<std::string>());
    } else if (message->is_array()) {
      // journald stores messages that are not valid UTF-8 as an array of bytes.
      std::string bytes;
      for (const auto& byte : *message) {
        if (byte.is_number_unsigned()) bytes.push_back(static_cast<char>(byte.get<unsigned>()));
      }
      lines.push_back(std::move(bytes));
    }
  }
  partial_.erase(0, start);
  if (exited) {
    int status = 0;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    waitpid(child_, &status, 0);
    child_ = -1;
    partial_.clear();
    if (lines.empty()) {
      return absl::UnavailableError(absl::StrCat(journalctl_, " -u ", unit_, " exited with status ",
                                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    }
  }
  return lines;
}

}  // namespace guts::agent
