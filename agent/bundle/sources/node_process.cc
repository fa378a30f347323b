// node_process: the node process's status, limits, open file count and command line.
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/bundle/sources/file_copy.h"

namespace guts::bundle {

int FindNodePid(const NodeTarget& node) {
  if (node.node_pid > 0) return node.node_pid;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name == node.process_name) return pid;
  }
  return 0;
}

BundleSource NodeProcessSource() {
  BundleSource s;
  s.name = "node_process";
  s.entry = "node/process.txt";
  s.timeout = absl::Seconds(5);
  s.max_bytes = 256 << 10;
  s.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    const int pid = FindNodePid(ctx.node);
    if (pid <= 0) return absl::NotFoundError(absl::StrCat("no process named ", ctx.node.process_name));
    const std::string dir = absl::StrCat("/proc/", pid);
    out.Write(absl::StrCat("pid: ", pid, "\n## status\n"));
    if (absl::Status st = CopyFile(dir + "/status", ctx.deny, out); !st.ok()) return st;
    out.Write("## limits\n");
    (void)CopyFile(dir + "/limits", ctx.deny, out);
    // Listing /proc/<pid>/fd counts descriptors without opening what they point to.
    size_t fds = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    out.Write(ec ? absl::StrCat("## open_fds\nunreadable: ", ec.message(), "\n")
                 : absl::StrCat("## open_fds\n", fds, "\n"));
    // The command line is redacted like everything else (a --private-key flag never leaves).
    std::ifstream cmd(dir + "/cmdline", std::ios::binary);
    std::string args((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    for (char& c : args) c = c == '\0' ? ' ' : c;
    out.Write(absl::StrCat("## cmdline\n", args, "\n"));
    return absl::OkStatus();
  };
  return s;
}

}  // namespace guts::bundle
