// data_dir: names and sizes in the node's data dir, depth-limited; no file is ever opened.
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "agent/bundle/sources/catalogue.h"

namespace guts::bundle {
namespace {
constexpr int kMaxDepth = 4;
constexpr size_t kMaxEntries = 20000;
}  // namespace

BundleSource DataDirSource() {
  BundleSource s;
  s.name = "data_dir";
  s.entry = "node/data_dir.txt";
  s.timeout = absl::Seconds(10);
  s.max_bytes = 2 << 20;
  s.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    const std::string& root = ctx.node.data_dir;
    if (root.empty()) return absl::FailedPreconditionError("no data dir configured");
    std::error_code ec;
    auto it = std::filesystem::recursive_directory_iterator(
        root, std::filesystem::directory_options::skip_permission_denied, ec);
    if (ec) return absl::NotFoundError(absl::StrCat(root, ": ", ec.message()));
    out.Write(absl::StrCat("# ", root, " (type size path), depth <= ", kMaxDepth, "\n"));
    size_t entries = 0;
    for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (++entries > kMaxEntries) {
        out.Write("# entry limit reached\n");
        out.MarkTruncated();
        break;
      }
      struct stat st {};
      const std::string path = it->path().string();
      if (::lstat(path.c_str(), &st) != 0) continue;
      const char type = S_ISDIR(st.st_mode)   ? 'd'
                        : S_ISREG(st.st_mode) ? 'f'
                        : S_ISLNK(st.st_mode) ? 'l'
                                              : 'o';
      const std::string rel = std::filesystem::relative(it->path(), root, ec).string();
      if (!out.Write(absl::StrCat(std::string(1, type), " ", st.st_size, " ", rel, "\n"))) break;
      if (S_ISDIR(st.st_mode) && it.depth() + 1 >= kMaxDepth) it.disable_recursion_pending();
    }
    return absl::OkStatus();
  };
  return s;
}

}  // namespace guts::bundle
