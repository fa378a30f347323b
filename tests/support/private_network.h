// EnterPrivateNetworkNamespace: moves the calling process into a new network namespace with its
// loopback up, so that the addresses, sockets and nftables rules a test makes never touch the
// host's. Children started afterwards inherit it; ctest runs each discovered test in its own
// process, so nothing else ever runs in it.
//
// Example:
//   if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace (not root)";
//   ASSERT_TRUE(EnterPrivateNetworkNamespace().ok());  // before any child or gRPC thread
//
// Errors: INTERNAL when unshare(CLONE_NEWNET) fails, when the process is still in the host's
// namespace afterwards, or when the loopback cannot be brought up.
#pragma once

#include "absl/status/status.h"

namespace guts::testing {

absl::Status EnterPrivateNetworkNamespace();

}  // namespace guts::testing
