#include "agent/log_file_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace guts::agent {

LogFileTail::LogFileTail(std::string path, size_t initial_bytes)
    : path_(std::move(path)), initial_bytes_(initial_bytes) {}

LogFileTail::~LogFileTail() {
  if (fd_ >= 0) close(fd_);
}

bool LogFileTail::Drain(size_t max_bytes, std::vector<std::string>& lines) {
  char buffer[64 << 10];
  size_t total = 0;
  while (total < max_bytes) {
    ssize_t n = pread(fd_, buffer, sizeof(buffer), offset_);
    if (n <= 0) return true;
    offset_ += n;
    total += static_cast<size_t>(n);
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      if (buffer[i] != '\n') continue;
      partial_.append(buffer + start, i - start);
      start = i + 1;
      if (skip_partial_) {
        skip_partial_ = false;
      } else {
        lines.push_back(std::move(partial_));
      }
      partial_.clear();
    }
    partial_.append(buffer + start, static_cast<size_t>(n) - start);
    // A line without a newline this long is not a log line worth keeping whole.
    if (partial_.size() > (1 << 20)) partial_.clear();
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> LogFileTail::ReadLines(size_t max_bytes) {
  std::vector<std::string> lines;
  struct stat by_path {};
  bool path_exists = stat(path_.c_str(), &by_path) == 0;

  if (fd_ >= 0) {
    struct stat by_fd {};
    fstat(fd_, &by_fd);
    if (by_fd.st_size < offset_) {
      // Truncated in place (copytruncate, or `> node.log`): the new content starts at 0.
      offset_ = 0;
      partial_.clear();
    }
    bool at_end = Drain(max_bytes, lines);
    if (!path_exists || by_path.st_ino == inode_ || !at_end) return lines;
    // Rotated, and the rest of the old file has been read: switch to the new one.
    close(fd_);
    fd_ = -1;
    partial_.clear();
  }

  if (!path_exists) {
    return absl::NotFoundError(absl::StrCat(path_, ": ", std::strerror(errno)));
  }
  fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat(path_, ": ", std::strerror(errno)));
  struct stat opened {};
  fstat(fd_, &opened);
  inode_ = opened.st_ino;
  offset_ = 0;
  if (first_open_ && static_cast<size_t>(opened.st_size) > initial_bytes_) {
    offset_ = opened.st_size - static_cast<off_t>(initial_bytes_);
    skip_partial_ = true;
  }
  first_open_ = false;
  Drain(max_bytes, lines);
  return lines;
}

}  // namespace guts::agent
