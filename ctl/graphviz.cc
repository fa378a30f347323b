#include "ctl/graphviz.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace guts::ctl {
namespace {

// A private temporary directory, removed with everything in it when this goes away.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gutsctl-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

absl::StatusOr<std::string> RunGraphviz(absl::string_view dot_text, absl::string_view format) {
  ScratchDir scratch;
  if (scratch.path().empty()) {
    return absl::InternalError(
        absl::StrCat("cannot create a temporary directory: ", std::strerror(errno)));
  }
  const std::filesystem::path input = scratch.path() / "graph.dot";
  const std::filesystem::path output = scratch.path() / absl::StrCat("graph.", format);
  const std::filesystem::path errors = scratch.path() / "errors.txt";
  {
    std::ofstream out(input, std::ios::binary);
    out << dot_text;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", input.string()));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errors.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string type = absl::StrCat("-T", format);
  std::string out_flag = absl::StrCat("-o", output.string());
  std::string in_path = input.string();
  char* argv[] = {const_cast<char*>("dot"), type.data(), out_flag.data(), in_path.data(), nullptr};
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == ENOENT) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Graphviz 'dot' is not installed (or not on PATH); install it (apt-get install "
        "graphviz) to draw ",
        format, ", or use -o dot and render the text elsewhere"));
  }
  if (spawned != 0) {
    return absl::InternalError(absl::StrCat("cannot run dot: ", std::strerror(spawned)));
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return absl::InternalError(absl::StrCat("dot -T", format, " failed: ", ReadAll(errors)));
  }
  return ReadAll(output);
}

}  // namespace guts::ctl
