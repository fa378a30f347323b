#include "sim/netfilter.h"

#include <net/if.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace guts::sim {
namespace {

constexpr char kTable[] = "guts_sim";

absl::Status RunNft(const std::string& script) {
  std::string command = "nft -f - 2>&1";
  std::FILE* pipe = popen(command.c_str(), "w");
  if (pipe == nullptr) return absl::InternalError("cannot run nft");
  std::fwrite(script.data(), 1, script.size(), pipe);
  int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(absl::StrCat("nft failed (status ", status, ") on:\n", script));
  }
  return absl::OkStatus();
}

}  // namespace

bool InHostNetworkNamespace() {
  // Comparing with PID 1's namespace is unreliable in containers (PID 1 may live elsewhere,
  // or its namespace may be unreadable). A namespace made by `unshare -n` holds nothing but
  // the loopback interface; the host's always has more.
  struct if_nameindex* names = if_nameindex();
  if (names == nullptr) return true;  // Cannot tell: assume the worst.
  bool other = false;
  for (struct if_nameindex* n = names; n->if_index != 0; ++n) {
    if (std::string(n->if_name) != "lo") other = true;
  }
  if_freenameindex(names);
  return other;
}

absl::StatusOr<NftLinkCuts> NftLinkCuts::Open(int p2p_port) {
  if (geteuid() != 0) return absl::FailedPreconditionError("--netfilter needs root");
  if (InHostNetworkNamespace()) {
    return absl::FailedPreconditionError(
        "--netfilter refuses to touch the host's network namespace; run guts-sim inside "
        "`unshare -n` (with `ip link set lo up`)");
  }
  if (system("nft --version >/dev/null 2>&1") != 0) {
    return absl::FailedPreconditionError("--netfilter needs the nft command (nftables)");
  }
  NftLinkCuts cuts(p2p_port);
  absl::Status s = cuts.Apply({});
  if (!s.ok()) return s;
  return cuts;
}

std::string NftLinkCuts::Script(int p2p_port,
                                const std::vector<std::pair<std::string, std::string>>& cuts) {
  // "add" then "delete" makes the delete valid whether or not the table already exists.
  std::string script =
      absl::StrCat("add table inet ", kTable, "\ndelete table inet ", kTable, "\ntable inet ",
                   kTable, " {\n", "  set cuts {\n    type ipv4_addr . ipv4_addr\n");
  if (!cuts.empty()) {
    script += "    elements = { ";
    for (size_t i = 0; i < cuts.size(); ++i) {
      absl::StrAppend(&script, i ? ", " : "", cuts[i].first, " . ", cuts[i].second);
    }
    script += " }\n";
  }
  absl::StrAppend(&script, "  }\n  chain output {\n    type filter hook output priority 0;\n",
                  "    ip saddr . ip daddr @cuts tcp dport ", p2p_port, " drop\n  }\n}\n");
  return script;
}

absl::Status NftLinkCuts::Apply(const std::vector<std::pair<std::string, std::string>>& cuts) {
  return RunNft(Script(p2p_port_, cuts));
}

absl::Status NftLinkCuts::Clear() {
  return RunNft(absl::StrCat("add table inet ", kTable, "\ndelete table inet ", kTable, "\n"));
}

}  // namespace guts::sim
