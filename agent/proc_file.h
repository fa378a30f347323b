// ReadProcFile: a /proc, /sys or cgroup file read whole with plain open/read/close, bounded in
// bytes. The agent reads dozens of these per snapshot (and one comm file per process while it
// looks for the node); an ifstream per file (its buffer, locale and copies) cost several times
// the system calls themselves.
//
// Example:
//   std::string text;
//   if (ReadProcFile("/proc/loadavg", text)) ...
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace guts::agent {

// Bounds what one file may cost; /proc/stat of a 1 000-CPU host is ~150 KB.
inline constexpr size_t kMaxProcFileBytes = 4 << 20;

// Replaces `out` with the file's first `max_bytes` bytes; false when it cannot be opened or read.
bool ReadProcFile(const std::string& path, std::string& out, size_t max_bytes = kMaxProcFileBytes);

// A /proc, /sys or cgroup file read again and again through one open fd. Each Read preads from
// offset 0, which makes the kernel generate the file afresh (seq_file and sysctl files start
// over at offset 0), without the path walk, permission check and file allocation of an open()
// per read: the `system` source reads a dozen such files every snapshot (issue 21).
// The fd follows the file it opened, not the path: point it at a new path (SetPath) when what
// the path names changes, e.g. /proc/<pid>/ files when the pid does. A read that fails (the
// process is gone) reopens the path once and tries again.
//
// Example:
//   ProcFile loadavg("/proc/loadavg");
//   std::string text;
//   if (loadavg.Read(text)) ...   // once a snapshot
//
// Thread-compatible.
class ProcFile {
 public:
  explicit ProcFile(std::string path = "", size_t max_bytes = kMaxProcFileBytes);
  ~ProcFile();
  ProcFile(const ProcFile&) = delete;
  ProcFile& operator=(const ProcFile&) = delete;

  // Reads `path` from now on; closes the open fd when the path differs.
  void SetPath(const std::string& path);
  const std::string& path() const { return path_; }

  // Replaces `out` with the file's first `max_bytes` bytes; false when it cannot be opened or
  // read.
  bool Read(std::string& out);

 private:
  bool ReadOpen(std::string& out);  // from the open fd
  void Close();

  std::string path_;
  size_t max_bytes_;
  int fd_ = -1;
};

// The number of entries (other than . and ..) of a process's fd directory, e.g. /proc/42/fd.
// On procfs since Linux 6.2 a stat of that directory reports the count as its size, one system
// call where listing it walks every fd (a node holds thousands: sockets, store files); an older
// kernel reports 0 and the directory is listed. Recorded fixtures are not procfs, so the size
// is trusted only when `on_procfs` (IsProcfs of the proc root). 0 when it cannot be read.
uint32_t CountOpenFds(const std::string& fd_dir, bool on_procfs);

// Whether `path` is on a procfs mount (a recorded fixture under a test's directory is not).
bool IsProcfs(const std::string& path);

}  // namespace guts::agent
