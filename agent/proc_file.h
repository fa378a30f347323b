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
#include <string>

namespace guts::agent {

// Bounds what one file may cost; /proc/stat of a 1 000-CPU host is ~150 KB.
inline constexpr size_t kMaxProcFileBytes = 4 << 20;

// Replaces `out` with the file's first `max_bytes` bytes; false when it cannot be opened or read.
bool ReadProcFile(const std::string& path, std::string& out, size_t max_bytes = kMaxProcFileBytes);

}  // namespace guts::agent
