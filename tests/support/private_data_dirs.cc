#include "tests/support/private_data_dirs.h"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

namespace guts::testing {

namespace {

bool EnterPrivateMountNamespace() {
  if (geteuid() != 0) return false;
  return unshare(CLONE_NEWNS) == 0 &&
         mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

// Before main(): see the header.
const bool kPrivateMounts = EnterPrivateMountNamespace();

}  // namespace

std::vector<std::string> SimDataDirArgs() {
  if (!kPrivateMounts) return {};
  return {"--data-dir-size", "256m"};
}

}  // namespace guts::testing
