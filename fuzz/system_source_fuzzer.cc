// Fuzzes the agent's system source on kernel files it reads: /proc/stat, /proc/meminfo,
// /proc/loadavg, /proc/self/cgroup, the node process's /proc/<pid>/{comm,stat,status} and the
// cgroup v2 memory files. Input: those files' contents, separated by "\n#--\n" (in that
// order; missing pieces are empty files). Collect runs twice, for the CPU deltas.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/sources/system_source.h"
#include "fuzz/fake_node_http_client.h"

namespace {

void Write(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

const std::string& Root() {
  static const std::string root = [] {
    char name[] = "/tmp/guts-system-fuzz-XXXXXX";
    std::string dir = mkdtemp(name);
    for (const char* sub : {"/proc", "/proc/self", "/proc/4242", "/proc/4242/fd", "/cgroup",
                            "/cgroup/node", "/data"}) {
      mkdir((dir + sub).c_str(), 0700);
    }
    return dir;
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> pieces =
      guts::fuzz::SplitPieces(reinterpret_cast<const char*>(data), size);
  pieces.resize(9);
  const std::string& root = Root();
  const char* files[] = {
      "/proc/stat",        "/proc/meminfo",           "/proc/loadavg",
      "/proc/self/cgroup", "/proc/4242/comm",         "/proc/4242/stat",
      "/proc/4242/status", "/cgroup/node/memory.max", "/cgroup/node/memory.current"};
  for (size_t i = 0; i < 9; ++i) Write(root + files[i], pieces[i]);
  guts::agent::SystemSource source({.data_dir = root + "/data",
                                    .node_process_name = "guts-node",
                                    .proc_root = root + "/proc",
                                    .cgroup_root = root + "/cgroup"});
  for (int i = 0; i < 2; ++i) {
    guts::diag::v1::Snapshot part;
    (void)source.Collect(absl::Now() + absl::Seconds(1), part);
    (void)part.ByteSizeLong();
  }
  return 0;
}
