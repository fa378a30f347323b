// system.*: kernel, OS release, memory, CPU, disks and inodes, limits, cgroup.
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/bundle/sources/file_copy.h"

namespace guts::bundle {
namespace {

nlohmann::json Disk(const std::string& path) {
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0) return {{"path", path}, {"error", "statvfs failed"}};
  const double frsize = static_cast<double>(vfs.f_frsize);
  return {{"path", path},
          {"total_bytes", vfs.f_blocks * frsize},
          {"free_bytes", vfs.f_bavail * frsize},
          {"used_ratio", vfs.f_blocks ? 1.0 - static_cast<double>(vfs.f_bavail) / vfs.f_blocks : 0},
          {"inodes_total", vfs.f_files},
          {"inodes_free", vfs.f_favail}};
}

nlohmann::json KeyValueFile(const std::string& path, char sep) {
  nlohmann::json obj = nlohmann::json::object();
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t at = line.find(sep);
    if (at == std::string::npos) continue;
    std::string value(absl::StripAsciiWhitespace(line.substr(at + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    obj[std::string(absl::StripAsciiWhitespace(line.substr(0, at)))] = value;
  }
  return obj;
}

nlohmann::json CpuSummary() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model;
  int count = 0;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "processor")) ++count;
    if (model.empty() && absl::StartsWith(line, "model name")) {
      model = std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return {{"model", model}, {"processors", count}, {"online", ::sysconf(_SC_NPROCESSORS_ONLN)}};
}

nlohmann::json Limits() {
  const std::pair<const char*, int> limits[] = {{"nofile", RLIMIT_NOFILE},
                                                {"nproc", RLIMIT_NPROC},
                                                {"as", RLIMIT_AS},
                                                {"core", RLIMIT_CORE},
                                                {"memlock", RLIMIT_MEMLOCK}};
  nlohmann::json obj = nlohmann::json::object();
  for (const auto& [name, id] : limits) {
    struct rlimit rl {};
    if (::getrlimit(id, &rl) != 0) continue;
    auto v = [](rlim_t x) -> nlohmann::json {
      return x == RLIM_INFINITY ? nlohmann::json("unlimited") : nlohmann::json(x);
    };
    obj[name] = {{"soft", v(rl.rlim_cur)}, {"hard", v(rl.rlim_max)}};
  }
  return obj;
}

// The unified (v2) cgroup directory of this process, e.g. /sys/fs/cgroup/system.slice/x.
std::string CgroupDir() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "0::")) return absl::StrCat("/sys/fs/cgroup", line.substr(3));
  }
  return "/sys/fs/cgroup";
}

}  // namespace

std::vector<BundleSource> SystemSources() {
  BundleSource facts;
  facts.name = "system.facts";
  facts.entry = "system/facts.json";
  facts.timeout = absl::Seconds(5);
  facts.max_bytes = 1 << 20;
  facts.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    nlohmann::json j;
    struct utsname u {};
    if (::uname(&u) == 0) {
      j["uname"] = {{"sysname", u.sysname},
                    {"nodename", u.nodename},
                    {"release", u.release},
                    {"version", u.version},
                    {"machine", u.machine}};
    }
    j["os_release"] = KeyValueFile("/etc/os-release", '=');
    j["meminfo"] = KeyValueFile("/proc/meminfo", ':');
    j["cpu"] = CpuSummary();
    j["loadavg"] = KeyValueFile("/proc/loadavg", ' ');
    j["disks"] = nlohmann::json::array({Disk("/")});
    if (!ctx.node.data_dir.empty()) j["disks"].push_back(Disk(ctx.node.data_dir));
    j["agent_limits"] = Limits();
    j["collected_at"] = absl::FormatTime(absl::RFC3339_sec, ctx.now, absl::UTCTimeZone());
    out.Write(j.dump(2));
    out.Write("\n");
    return absl::OkStatus();
  };
  BundleSource cgroup;
  cgroup.name = "system.cgroup";
  cgroup.entry = "system/cgroup.txt";
  cgroup.timeout = absl::Seconds(5);
  cgroup.max_bytes = 256 << 10;
  cgroup.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    const std::string dir = CgroupDir();
    out.Write(absl::StrCat("# cgroup ", dir, "\n"));
    for (const char* file :
         {"memory.max", "memory.current", "memory.high", "memory.events", "memory.stat", "cpu.max",
          "cpu.stat", "pids.max", "pids.current", "io.stat"}) {
      out.Write(absl::StrCat("## ", file, "\n"));
      if (!CopyFile(absl::StrCat(dir, "/", file), ctx.deny, out).ok()) out.Write("(absent)\n");
    }
    return absl::OkStatus();
  };
  return {facts, cgroup};
}

}  // namespace guts::bundle
