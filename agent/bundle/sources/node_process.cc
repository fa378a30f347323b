// node_process: the node process's status, limits, open file count and command line.
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/bundle/sources/file_copy.h"
#include "agent/node_pid.h"

namespace guts::bundle {

int NodePid(const NodeTarget& node) {
  return node.node_pid > 0 ? node.node_pid : agent::FindNodePid(node.proc_root, node.process_name);
}

BundleSource NodeProcessSource() {
  BundleSource s;
  s.name = "node_process";
  s.entry = "node/process.txt";
  s.timeout = absl::Seconds(5);
  s.max_bytes = 256 << 10;
  s.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    const int pid = NodePid(ctx.node);
    if (pid <= 0)
      return absl::NotFoundError(absl::StrCat("no process named ", ctx.node.process_name));
    const std::string dir = absl::StrCat(ctx.node.proc_root, "/", pid);
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
