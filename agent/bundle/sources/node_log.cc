// node_log: the node's log lines within the window, newest kept when over the cap.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/bundle/sources/command_run.h"
#include "agent/bundle/sources/file_copy.h"

namespace guts::bundle {
namespace {

constexpr std::string_view kTimestampKey = "\"timestamp\":\"";
constexpr size_t kStampLen = 19;  // "2026-11-30T02:57:57": compares lexicographically in UTC.
// journalctl's JSON entries run to 1–2 KiB; asking for cap / 2 KiB of the newest entries keeps
// the end of the window (where the trouble is) when the window holds more than the cap.
constexpr uint64_t kJournalEntryBytes = 2048;

// Offset of the first line whose timestamp is at or after `since`, or `size` if none is. Lines
// without a timestamp belong to the window once it started. Reads in bounded blocks.
absl::StatusOr<uint64_t> WindowStart(int fd, uint64_t size, const std::string& since_stamp) {
  char buf[64 * 1024];
  std::string line;
  uint64_t pos = 0, line_start = 0;
  bool saw_stamp = false;
  while (pos < size) {
    const ssize_t n = ::pread(fd, buf, sizeof(buf), static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(std::strerror(errno));
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (line.size() < 512) line.push_back(buf[i]);
        continue;
      }
      const size_t at = line.find(kTimestampKey);
      if (at != std::string::npos && line.size() >= at + kTimestampKey.size() + kStampLen) {
        saw_stamp = true;
        if (line.compare(at + kTimestampKey.size(), kStampLen, since_stamp) >= 0) return line_start;
      }
      line.clear();
      line_start = pos + i + 1;
    }
    pos += n;
  }
  return saw_stamp ? size : 0;
}

absl::Status CopyLogFile(const SourceContext& ctx, SourceOutput& out) {
  const uint64_t cap = out.max_bytes();
  const std::string& path = ctx.node.log_file;
  if (ctx.deny.Denies(path)) return absl::PermissionDeniedError(path + " is on the deny-list");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError(path + " is not a regular file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(path + ": " + std::strerror(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  absl::StatusOr<uint64_t> window =
      WindowStart(fd, size, absl::FormatTime("%Y-%m-%dT%H:%M:%S", ctx.since, absl::UTCTimeZone()));
  if (!window.ok()) {
    ::close(fd);
    return window.status();
  }
  uint64_t start = *window;
  if (size > start && size - start > cap) {
    // Keep the newest lines: start at the first line boundary inside the last `cap` bytes.
    start = size - cap;
    char c = 0;
    while (start < size && ::pread(fd, &c, 1, static_cast<off_t>(start)) == 1 && c != '\n') ++start;
    if (start < size) ++start;
    out.MarkTruncated();
  }
  ::close(fd);
  return CopyFile(path, ctx.deny, out, start, size - start);
}

}  // namespace

BundleSource NodeLogSource() {
  BundleSource s;
  s.name = "node_log";
  s.entry = "node/node.log";
  s.timeout = absl::Seconds(60);
  s.max_bytes = 64ull << 20;
  s.collect = [timeout = s.timeout](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    if (!ctx.node.log_file.empty()) return CopyLogFile(ctx, out);
    if (ctx.node.journal_unit.empty()) {
      return absl::FailedPreconditionError("neither a log file nor a journal unit is configured");
    }
    const uint64_t newest = std::max<uint64_t>(1, out.max_bytes() / kJournalEntryBytes);
    return RunCommand({"journalctl", "-u", ctx.node.journal_unit, "--since",
                       absl::StrCat("@", absl::ToUnixSeconds(ctx.since)), "--lines",
                       absl::StrCat(newest), "-o", "json", "--no-pager"},
                      timeout - absl::Seconds(1), out);
  };
  return s;
}

}  // namespace guts::bundle
