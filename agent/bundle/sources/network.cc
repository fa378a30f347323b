// network.*: TCP sockets (listeners and P2P sessions) from /proc/net and, when iproute2 is
// present, `ss -tinp` with each session's tcp_info.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/bundle/sources/command_run.h"
#include "agent/bundle/sources/file_copy.h"
#include "common/host_port.h"

namespace guts::bundle {

std::vector<BundleSource> NetworkSources() {
  BundleSource proc;
  proc.name = "network.proc_net_tcp";
  proc.entry = "network/proc_net_tcp.txt";
  proc.timeout = absl::Seconds(5);
  proc.max_bytes = 4 << 20;
  proc.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    out.Write("## /proc/net/tcp\n");
    if (absl::Status st = CopyFile("/proc/net/tcp", ctx.deny, out); !st.ok()) return st;
    out.Write("## /proc/net/tcp6\n");
    (void)CopyFile("/proc/net/tcp6", ctx.deny, out);
    return absl::OkStatus();
  };
  BundleSource ss;
  ss.name = "network.ss";
  ss.entry = "network/ss.txt";
  ss.timeout = absl::Seconds(10);
  ss.max_bytes = 4 << 20;
  ss.collect = [timeout = ss.timeout](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    out.Write(absl::StrCat("# node p2p address: ", ctx.node.p2p_addr, "\n## ss -tlnp\n"));
    if (absl::Status st = RunCommand({"ss", "-tlnp"}, timeout / 2, out); !st.ok()) return st;
    // Only the node's P2P sessions when its port is known: a busy host has thousands of sockets.
    std::vector<std::string> argv = {"ss", "-tinp"};
    if (absl::StatusOr<HostPort> p2p = ParseHostPort(ctx.node.p2p_addr); p2p.ok()) {
      const std::string port = absl::StrCat(":", p2p->port);
      const std::vector<std::string> filter = {"(",     "sport", "=",  port, "or",
                                               "dport", "=",     port, ")"};
      argv.insert(argv.end(), filter.begin(), filter.end());
    }
    out.Write(absl::StrCat("## ", absl::StrJoin(argv, " "), "\n"));
    return RunCommand(argv, timeout / 2, out);
  };
  return {proc, ss};
}

}  // namespace guts::bundle
