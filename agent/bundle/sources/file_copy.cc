#include "agent/bundle/sources/file_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace guts::bundle {

absl::Status CopyFile(const std::string& path, const DenyList& deny, SourceOutput& out,
                      uint64_t offset, uint64_t length) {
  if (deny.Denies(path)) {
    return absl::PermissionDeniedError(absl::StrCat(path, " is on the deny-list; not opened"));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  char buf[64 * 1024];
  uint64_t pos = offset;
  uint64_t left = length == 0 ? UINT64_MAX : length;
  absl::Status status;
  while (left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(left, sizeof(buf)));
    const ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      status = absl::InternalError(absl::StrCat("read ", path, ": ", std::strerror(errno)));
      break;
    }
    if (n == 0) break;
    pos += n;
    left -= n;
    if (!out.Write(std::string_view(buf, n))) break;
  }
  ::close(fd);
  return status;
}

}  // namespace guts::bundle
