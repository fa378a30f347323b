#include "collector/auth/token_file.h"

#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace guts::collector {
namespace {

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

bool IsSha256Hex(absl::string_view text) {
  if (text.size() != 2 * SHA256_DIGEST_LENGTH) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TokenFile> TokenFile::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("--tokens-file: cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

absl::StatusOr<TokenFile> TokenFile::Parse(absl::string_view text, absl::string_view origin) {
  TokenFile file;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("tokens file ", origin, " line ", number, ": ", what));
    };
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 3) return error("expected \"role sha256-hex name\"");
    std::optional<Role> role = RoleFromName(fields[0]);
    if (!role || *role == Role::kAgent) {
      return error(absl::StrCat("role \"", fields[0],
                                "\" is not viewer or operator (agents use certificates)"));
    }
    if (!IsSha256Hex(fields[1])) {
      return error("the token's SHA-256 must be 64 hex digits (printf %s TOKEN | sha256sum)");
    }
    std::string hash = absl::AsciiStrToLower(fields[1]);
    if (file.by_hash_.contains(hash)) return error("the same token hash appears twice");
    file.by_hash_[hash] = TokenHolder{.role = *role, .name = std::string(fields[2])};
  }
  return file;
}

const TokenHolder* TokenFile::Find(absl::string_view token) const {
  if (token.empty()) return nullptr;
  auto it = by_hash_.find(Sha256Hex(token));
  return it == by_hash_.end() ? nullptr : &it->second;
}

}  // namespace guts::collector
