#include "agent/proc_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

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

}  // namespace guts::agent
