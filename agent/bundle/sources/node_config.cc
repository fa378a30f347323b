// node_config: the node's configuration files, redacted (p2p.private_key never leaves).
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/bundle/sources/file_copy.h"

namespace guts::bundle {

BundleSource NodeConfigSource() {
  BundleSource s;
  s.name = "node_config";
  s.entry = "node/config.yaml";
  s.timeout = absl::Seconds(5);
  s.max_bytes = 1 << 20;
  s.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    std::vector<std::string> paths = ctx.node.config_paths;
    // The node's code reads config.yaml from its working directory.
    if (const int pid = NodePid(ctx.node); pid > 0) {
      std::error_code ec;
      const auto cwd =
          std::filesystem::read_symlink(absl::StrCat(ctx.node.proc_root, "/", pid, "/cwd"), ec);
      if (!ec) paths.push_back((cwd / "config.yaml").string());
    }
    int found = 0;
    for (const std::string& path : paths) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) continue;
      ++found;
      out.Write(absl::StrCat("# ", path, "\n"));
      if (absl::Status st = CopyFile(path, ctx.deny, out); !st.ok()) {
        out.Write(absl::StrCat("# not copied: ", st.message(), "\n"));
      }
      out.Write("\n");
    }
    if (found == 0) return absl::NotFoundError("no node configuration file found");
    return absl::OkStatus();
  };
  return s;
}

}  // namespace guts::bundle
