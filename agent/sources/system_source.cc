#include "agent/sources/system_source.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/node_pid.h"
#include "agent/proc_file.h"
#include "agent/sources/registry.h"

namespace guts::agent {
namespace {

// "MemTotal:       16316412 kB" -> bytes.
uint64_t MeminfoBytes(const std::string& meminfo, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, ":")) continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    uint64_t value = 0;
    if (!parts.empty() && absl::SimpleAtoi(parts[0], &value)) {
      return parts.size() > 1 && parts[1] == "kB" ? value * 1024 : value;
    }
  }
  return 0;
}

}  // namespace

SystemSource::SystemSource(SystemSourceOptions options)
    : options_(std::move(options)),
      proc_is_procfs_(IsProcfs(options_.proc_root)),
      node_process_(options_.proc_root, options_.node_process_name),
      stat_(options_.proc_root + "/stat"),
      loadavg_(options_.proc_root + "/loadavg"),
      meminfo_(options_.proc_root + "/meminfo"),
      file_nr_(options_.proc_root + "/sys/fs/file-nr") {}

int SystemSource::TrackNodePid() {
  const int found = node_process_.Find(absl::Now());
  if (found != 0 && node_pid_ != 0 && found != node_pid_) ++node_restarts_;
  if (found != 0) node_pid_ = found;
  return found;
}

absl::Status SystemSource::Collect(absl::Time, v1::Snapshot& part) {
  const std::string& proc = options_.proc_root;
  v1::SystemFacts& facts = *part.mutable_system();
  std::vector<std::string> failures;
  std::string text;

  if (stat_.Read(text)) {
    // "cpu  user nice system idle iowait irq softirq steal ..."
    std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
    std::vector<absl::string_view> fields = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
    uint64_t total = 0, idle = 0;
    for (size_t i = 1; i < fields.size() && i <= 8; ++i) {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(fields[i], &v)) continue;
      total += v;
      if (i == 4 || i == 5) idle += v;  // idle + iowait
    }
    uint32_t cpus = 0;
    for (absl::string_view line : lines) {
      if (line.size() > 3 && line.substr(0, 3) == "cpu" && absl::ascii_isdigit(line[3])) ++cpus;
    }
    facts.set_cpu_count(cpus);
    uint64_t busy = total - idle;
    if (prev_total_ != 0 && total > prev_total_) {
      facts.set_cpu_busy_ratio(static_cast<double>(busy - prev_busy_) /
                               static_cast<double>(total - prev_total_));
    }
    prev_busy_ = busy;
    prev_total_ = total;
  } else {
    failures.push_back(proc + "/stat: unreadable");
  }

  if (loadavg_.Read(text)) {
    std::vector<absl::string_view> load = absl::StrSplit(text, ' ', absl::SkipEmpty());
    double l1 = 0, l5 = 0, l15 = 0;
    if (load.size() >= 3 && absl::SimpleAtod(load[0], &l1) && absl::SimpleAtod(load[1], &l5) &&
        absl::SimpleAtod(load[2], &l15)) {
      facts.set_load1(l1);
      facts.set_load5(l5);
      facts.set_load15(l15);
    }
  } else {
    failures.push_back(proc + "/loadavg: unreadable");
  }

  if (meminfo_.Read(text)) {
    facts.set_mem_total_bytes(MeminfoBytes(text, "MemTotal"));
    facts.set_mem_available_bytes(MeminfoBytes(text, "MemAvailable"));
  } else {
    failures.push_back(proc + "/meminfo: unreadable");
  }

  if (file_nr_.Read(text)) {
    uint64_t open_fds = 0;
    std::vector<absl::string_view> nr =
        absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (!nr.empty() && absl::SimpleAtoi(nr[0], &open_fds)) facts.set_host_open_fds(open_fds);
  }

  facts.set_data_dir(options_.data_dir);
  struct statvfs vfs {};
  if (!options_.data_dir.empty() && statvfs(options_.data_dir.c_str(), &vfs) == 0) {
    facts.set_disk_total_bytes(static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize);
    facts.set_disk_available_bytes(static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize);
    facts.set_inodes_total(vfs.f_files);
    facts.set_inodes_free(vfs.f_ffree);
  } else if (!options_.data_dir.empty()) {
    failures.push_back(absl::StrCat("statvfs ", options_.data_dir, ": ", strerror(errno)));
  }

  int pid = TrackNodePid();
  // The node's cgroup when we know the node, else our own (a sidecar shares the pod's limits).
  cgroup_.SetPath(pid != 0 ? absl::StrCat(proc, "/", pid, "/cgroup") : proc + "/self/cgroup");
  if (cgroup_.Read(text)) {
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (!absl::ConsumePrefix(&line, "0::")) continue;  // the cgroup v2 hierarchy
      std::string dir = absl::StrCat(options_.cgroup_root, line == "/" ? "" : line);
      std::string value;
      uint64_t bytes = 0;
      memory_max_.SetPath(dir + "/memory.max");
      memory_current_.SetPath(dir + "/memory.current");
      if (memory_max_.Read(value) && absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &bytes)) {
        facts.set_cgroup_memory_max_bytes(bytes);  // "max" (unlimited) stays 0
      }
      if (memory_current_.Read(value) &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &bytes)) {
        facts.set_cgroup_memory_current_bytes(bytes);
      }
    }
  }

  facts.set_node_restarts(node_restarts_);
  if (pid != 0) {
    facts.set_node_pid(pid);
    std::string pid_dir = absl::StrCat(proc, "/", pid);
    node_status_.SetPath(pid_dir + "/status");
    node_stat_.SetPath(pid_dir + "/stat");
    if (node_status_.Read(text)) {
      facts.set_node_rss_bytes(MeminfoBytes(text, "VmRSS"));
    }
    facts.set_node_open_fds(CountOpenFds(pid_dir + "/fd", proc_is_procfs_));
    if (node_stat_.Read(text)) {
      // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
      // A stat without ") " after the name (truncated or not a stat) has no fields to read.
      size_t close = text.rfind(')');
      absl::string_view after = close == std::string::npos || close + 2 > text.size()
                                    ? absl::string_view()
                                    : absl::string_view(text).substr(close + 2);
      std::vector<absl::string_view> fields = absl::StrSplit(after, ' ', absl::SkipEmpty());
      uint64_t utime = 0, stime = 0;
      if (fields.size() > 12 && absl::SimpleAtoi(fields[11], &utime) &&
          absl::SimpleAtoi(fields[12], &stime)) {
        absl::Time now = absl::Now();
        uint64_t ticks = utime + stime;
        if (prev_node_ticks_ != 0 && ticks >= prev_node_ticks_ && now > prev_node_time_) {
          double seconds = static_cast<double>(ticks - prev_node_ticks_) /
                           static_cast<double>(sysconf(_SC_CLK_TCK));
          facts.set_node_cpu_ratio(seconds / absl::ToDoubleSeconds(now - prev_node_time_));
        }
        prev_node_ticks_ = ticks;
        prev_node_time_ = now;
      }
    }
  }

  if (failures.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(failures, "; "));
}

GUTS_REGISTER_SOURCE(system, 10, [](const SourceContext& context) -> std::unique_ptr<Source> {
  return std::make_unique<SystemSource>(
      SystemSourceOptions{.data_dir = context.config.node_data_dir,
                          .node_process_name = context.config.node_process_name});
});

}  // namespace guts::agent
