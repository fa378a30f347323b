#include "agent/proc_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace guts::agent {

bool ReadProcFile(const std::string& path, std::string& out, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buffer[4096];
  while (out.size() < max_bytes) {
    ssize_t n = read(fd, buffer, std::min(sizeof(buffer), max_bytes - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

ProcFile::ProcFile(std::string path, size_t max_bytes)
    : path_(std::move(path)), max_bytes_(max_bytes) {}

ProcFile::~ProcFile() { Close(); }

void ProcFile::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void ProcFile::SetPath(const std::string& path) {
  if (path == path_) return;
  Close();
  path_ = path;
}

bool ProcFile::ReadOpen(std::string& out) {
  out.clear();
  char buffer[4096];
  off_t offset = 0;
  while (out.size() < max_bytes_) {
    ssize_t n = pread(fd_, buffer, std::min(sizeof(buffer), max_bytes_ - out.size()), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return true;
}

bool ProcFile::Read(std::string& out) {
  if (path_.empty()) return false;
  const bool was_open = fd_ >= 0;
  if (!was_open) fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ >= 0 && ReadOpen(out)) return true;
  Close();
  // An fd kept from an earlier read may name a file gone since (a process that exited, whose
  // pid a new one may have taken): once more through the path.
  if (!was_open) return false;
  fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ >= 0 && ReadOpen(out)) return true;
  Close();
  return false;
}

uint32_t CountOpenFds(const std::string& fd_dir, bool on_procfs) {
  struct stat st {};
  if (on_procfs && stat(fd_dir.c_str(), &st) == 0 && st.st_size > 0) {
    return static_cast<uint32_t>(st.st_size);
  }
  DIR* dir = opendir(fd_dir.c_str());
  if (dir == nullptr) return 0;
  uint32_t fds = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++fds;
  }
  closedir(dir);
  return fds;
}

bool IsProcfs(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

}  // namespace guts::agent
