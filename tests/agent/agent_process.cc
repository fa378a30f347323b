#include "tests/agent/agent_process.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

extern char** environ;

namespace guts::agent::testing {

namespace {

// "127.0.77.1" -> "127.0.77.2": the node's address next to the agent's.
std::string NextAddress(const std::string& ip) {
  std::vector<std::string> parts = absl::StrSplit(ip, '.');
  int last = 0;
  if (parts.size() == 4) last = std::atoi(parts[3].c_str());
  parts.back() = absl::StrCat(last + 1);
  return absl::StrJoin(parts, ".");
}

}  // namespace

ScratchDir::ScratchDir(const std::string& name) {
  std::string pattern = absl::StrCat("/tmp/guts-", name, "-XXXXXX");
  path_ = mkdtemp(pattern.data());
}

ScratchDir::~ScratchDir() { std::filesystem::remove_all(path_); }

pid_t SpawnAgent(const AgentProcessOptions& options) {
  const std::string node = NextAddress(options.ip);
  std::vector<std::string> args = {GUTS_AGENT_BINARY,
                                   "--collector",
                                   options.collectors,
                                   "--node-id",
                                   options.node_id,
                                   "--node-api",
                                   absl::StrCat("http://", node, ":1"),
                                   "--node-p2p-addr",
                                   absl::StrCat(node, ":9000"),
                                   "--node-data-dir",
                                   options.state_dir,
                                   "--state-dir",
                                   options.state_dir,
                                   "--interval",
                                   "50ms",
                                   "--http-addr",
                                   absl::StrCat(options.ip, ":0"),
                                   "--log-level",
                                   "error",
                                   "--insecure"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  return pid;
}

int Reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

}  // namespace guts::agent::testing
