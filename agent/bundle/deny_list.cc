#include "agent/bundle/deny_list.h"

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace guts::bundle {
namespace {

bool DeniedName(const std::string& path) {
  const std::string name = absl::AsciiStrToLower(std::filesystem::path(path).filename().string());
  if (name == "node.key" || name == "id_rsa" || name == "id_ecdsa" || name == "id_ed25519") {
    return true;
  }
  for (const char* suffix : {".key", ".pem", ".p12", ".pfx", ".keystore"}) {
    if (absl::EndsWith(name, suffix)) return true;
  }
  return absl::StrContains(name, "private");
}

std::string Resolved(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return path;
  return buf;
}

}  // namespace

DenyList::DenyList(std::vector<std::string> extra) {
  for (const std::string& p : extra) {
    extra_.push_back(p);
    extra_.push_back(Resolved(p));
  }
}

bool DenyList::Denies(const std::string& path) const {
  const std::string resolved = Resolved(path);
  if (DeniedName(path) || DeniedName(resolved)) return true;
  for (const std::string& p : extra_) {
    if (p == path || p == resolved) return true;
  }
  return false;
}

}  // namespace guts::bundle
