// The `node_config` source: the node's config.yaml as NodeConfig (participants, their P2P
// addresses, consensus flags, the public key derived from p2p.private_key; see
// agent/node_config.h). The file is read again only when its size, mtime or inode changed.
//
// Errors: when the file cannot be read, is larger than 1 MiB, is not YAML, or has malformed
// entries, the source fails with that reason (source_errors) and snapshot.config.error says
// it too. A missing file at the default path (the operator did not point --node-config at
// anything) is not an error: config.loaded stays false and config.error says "not found".
//
// Example:
//   NodeConfigSource source("/etc/guts/config.yaml", /*explicit_path=*/false);
#pragma once

#include <sys/types.h>

#include <ctime>
#include <string>

#include "agent/source.h"

namespace guts::agent {

class NodeConfigSource : public Source {
 public:
  NodeConfigSource(std::string path, bool explicit_path);

  std::string_view name() const override { return "node_config"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

 private:
  std::string path_;
  bool explicit_path_;
  // What the last read found, and the file identity it was read from.
  v1::NodeConfig cached_;
  bool have_cached_ = false;
  ino_t inode_ = 0;
  off_t size_ = 0;
  struct timespec mtime_ {};
};

}  // namespace guts::agent
