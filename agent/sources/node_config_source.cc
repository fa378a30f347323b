#include "agent/sources/node_config_source.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/node_config.h"
#include "agent/sources/registry.h"

namespace guts::agent {

NodeConfigSource::NodeConfigSource(std::string path, bool explicit_path)
    : path_(std::move(path)), explicit_path_(explicit_path) {}

absl::Status NodeConfigSource::Collect(absl::Time, v1::Snapshot& part) {
  v1::NodeConfig& out = *part.mutable_config();
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    int err = errno;
    have_cached_ = false;
    out.set_path(path_);
    out.set_error(err == ENOENT ? "not found" : std::strerror(err));
    if (err == ENOENT && !explicit_path_) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("node config ", path_, ": ", out.error()));
  }
  bool same = have_cached_ && st.st_ino == inode_ && st.st_size == size_ &&
              st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec;
  if (!same) {
    v1::NodeConfig parsed;
    if (static_cast<uint64_t>(st.st_size) > kMaxNodeConfigBytes) {
      parsed.set_path(path_);
      parsed.set_error(absl::StrCat("larger than ", kMaxNodeConfigBytes, " bytes"));
    } else {
      int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0) {
        parsed.set_path(path_);
        parsed.set_error(std::strerror(errno));
      } else {
        // One byte more than the bound, to see a file that grew past it since stat().
        std::string text(kMaxNodeConfigBytes + 1, '\0');
        size_t used = 0;
        while (used < text.size()) {
          ssize_t n = read(fd, text.data() + used, text.size() - used);
          if (n <= 0) break;
          used += static_cast<size_t>(n);
        }
        close(fd);
        text.resize(used);
        parsed = ParseNodeConfig(text, path_);
        // The text held p2p.private_key.
        OPENSSL_cleanse(text.data(), text.size());
      }
    }
    cached_ = std::move(parsed);
    have_cached_ = true;
    inode_ = st.st_ino;
    size_ = st.st_size;
    mtime_ = st.st_mtim;
  }
  out = cached_;
  if (!out.error().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("node config ", path_, ": ", out.error()));
  }
  return absl::OkStatus();
}

GUTS_REGISTER_SOURCE(node_config, 40, [](const SourceContext& context) -> std::unique_ptr<Source> {
  if (context.config.node_config.empty()) return nullptr;
  return std::make_unique<NodeConfigSource>(context.config.node_config,
                                            context.config.node_config_explicit);
});

}  // namespace guts::agent
