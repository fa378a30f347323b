// Bearer tokens for clients without a certificate (`--tokens-file`). One token a line:
//
//   # role  sha256-of-token (64 hex digits)                                   name
//   viewer  9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  grafana
//
// Only the SHA-256 of each token is stored, so the file reveals no token. Roles: viewer or
// operator; agents always authenticate with their certificate (their node id comes from it).
// Make a line: `printf %s "$TOKEN" | sha256sum`.
//
// Example:
//   absl::StatusOr<TokenFile> tokens = TokenFile::Load("/etc/guts/tokens");
//   if (const TokenHolder* who = tokens->Find(token)) ... who->role, who->name
//
// Thread-safe after Load (read-only).
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/auth/role.h"

namespace guts::collector {

struct TokenHolder {
  Role role = Role::kViewer;
  std::string name;
};

class TokenFile {
 public:
  // INVALID_ARGUMENT "tokens file PATH line N: ..." for a malformed line, a role other than
  // viewer/operator, or a repeated hash; NOT_FOUND when the file cannot be read.
  static absl::StatusOr<TokenFile> Load(const std::string& path);
  // Same rules, from the file's text (`origin` names it in errors).
  static absl::StatusOr<TokenFile> Parse(absl::string_view text, absl::string_view origin);

  // The holder of `token`, or nullptr when it is not in the file.
  const TokenHolder* Find(absl::string_view token) const;
  size_t size() const { return by_hash_.size(); }

 private:
  std::map<std::string, TokenHolder> by_hash_;  // lower-case hex SHA-256 -> holder
};

}  // namespace guts::collector
