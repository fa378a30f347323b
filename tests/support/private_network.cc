#include "tests/support/private_network.h"

#include <sched.h>
#include <sys/stat.h>

#include <cstdlib>

namespace guts::testing {

namespace {

// The inode of this process's network namespace; it changes when unshare succeeds.
ino_t NetworkNamespaceInode() {
  struct stat st {};
  return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

}  // namespace

absl::Status EnterPrivateNetworkNamespace() {
  ino_t host = NetworkNamespaceInode();
  if (host == 0) return absl::InternalError("cannot read /proc/self/ns/net");
  if (unshare(CLONE_NEWNET) != 0) return absl::InternalError("unshare(CLONE_NEWNET) failed");
  if (NetworkNamespaceInode() == host) {
    return absl::InternalError("still in the host's network namespace");
  }
  // lo carries all of 127.0.0.0/8.
  if (std::system("ip link set lo up") != 0) return absl::InternalError("ip link set lo up failed");
  return absl::OkStatus();
}

}  // namespace guts::testing
