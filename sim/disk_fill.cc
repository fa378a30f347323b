#include "sim/disk_fill.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace guts::sim {
namespace {

constexpr char kFillerName[] = ".guts-sim-fill";

bool SameNamespaceAsInit(const char* ns) {
  struct stat self {
  }, init{};
  std::string mine = absl::StrCat("/proc/self/ns/", ns), pid1 = absl::StrCat("/proc/1/ns/", ns);
  // PID 1's namespace is unreadable from inside a fresh `unshare -m`: that is not the host's.
  if (stat(mine.c_str(), &self) != 0 || stat(pid1.c_str(), &init) != 0) return false;
  return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

bool IsMountPoint(const std::string& dir) {
  struct stat here {
  }, parent{};
  std::string up = std::filesystem::path(dir).parent_path().string();
  return stat(dir.c_str(), &here) == 0 && stat(up.c_str(), &parent) == 0 &&
         here.st_dev != parent.st_dev;
}

}  // namespace

absl::Status MountDataDir(const std::string& dir, const std::string& size) {
  if (geteuid() != 0) return absl::FailedPreconditionError("--data-dir-size needs root");
  if (SameNamespaceAsInit("mnt")) {
    return absl::FailedPreconditionError(
        "--data-dir-size mounts a tmpfs per data dir and refuses to do so in the host's mount "
        "namespace; run guts-sim (and the agents) inside `unshare -m`");
  }
  std::string options = absl::StrCat("size=", size);
  if (mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot mount a tmpfs on ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void UnmountDataDir(const std::string& dir) { umount2(dir.c_str(), MNT_DETACH); }

absl::Status FillDataDir(const std::string& dir, double ratio) {
  std::string filler = absl::StrCat(dir, "/", kFillerName);
  if (ratio <= 0) {
    unlink(filler.c_str());
    return absl::OkStatus();
  }
  if (!IsMountPoint(dir)) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir,
        " is not on a filesystem of its own; start guts-sim with --data-dir-size inside "
        "`unshare -m` (filling the host's disk is refused)"));
  }
  struct statvfs vfs {};
  if (statvfs(dir.c_str(), &vfs) != 0) {
    return absl::InternalError(absl::StrCat("statvfs ", dir, ": ", std::strerror(errno)));
  }
  struct stat existing {};
  off_t current = stat(filler.c_str(), &existing) == 0 ? existing.st_blocks * 512 : 0;
  double total = static_cast<double>(vfs.f_blocks) * vfs.f_frsize;
  double used = total - static_cast<double>(vfs.f_bavail) * vfs.f_frsize;
  off_t want = static_cast<off_t>(current + ratio * total - used);
  if (want < 0) want = 0;
  int fd = open(filler.c_str(), O_CREAT | O_WRONLY, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", filler, ": ", std::strerror(errno)));
  int rc = ftruncate(fd, 0);
  if (rc == 0 && want > 0) rc = fallocate(fd, 0, 0, want);
  int err = errno;
  close(fd);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("fallocate ", filler, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace guts::sim
