// Paths a bundle never opens: the node's key material.
//
// Checked before every open by every source, on the path as given and on its resolved form
// (so a symlink to node.key is refused too). Resolving a path never opens the file itself.
// Denied: any file named node.key, *.key, *.pem, *.p12, *.pfx, id_rsa/id_ecdsa/id_ed25519,
// names containing "private", and the paths the node's configuration names as key files
// (given by the caller in `extra`).
//
// Thread-safe (immutable after construction).
//
// Example:
//   DenyList deny({"/etc/guts/other-key-file"});
//   if (deny.Denies("/etc/guts/node.key")) { /* skip, never open */ }
#ifndef GUTS_AGENT_BUNDLE_DENY_LIST_H_
#define GUTS_AGENT_BUNDLE_DENY_LIST_H_

#include <string>
#include <vector>

namespace guts::bundle {

class DenyList {
 public:
  explicit DenyList(std::vector<std::string> extra = {});

  // True when `path` must never be opened.
  bool Denies(const std::string& path) const;

 private:
  std::vector<std::string> extra_;
};

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_DENY_LIST_H_
