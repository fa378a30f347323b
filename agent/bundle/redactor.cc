#include "agent/bundle/redactor.h"

#include <re2/re2.h>

#include <cctype>
#include <string>
#include <vector>

namespace guts::bundle {
namespace {

// Names whose value is a secret. Prefix and suffix characters allow GUTS_PRIVATE_KEY,
// p2p.private_key, db_password, X-Auth-Token, client_secret, ...
constexpr char kSecretName[] =
    R"((?i)([A-Za-z0-9_.\-]*(?:private[_.\-]?key|secret|token|passw(?:or)?d|passphrase|pwd|)"
    R"(api[_.\-]?key|access[_.\-]?key|credentials?|auth|cookie|session[_.\-]?key)[A-Za-z0-9_.\-]*))";

struct Rule {
  const RE2* re;
  const char* rewrite;
};

// Patterns are compiled once and intentionally leaked: abandoned source threads may still be
// redacting while the process exits, so these must never be destroyed.
struct Patterns {
  const RE2* prefilter = new RE2(
      R"((?i)key|secret|token|pass|pwd|auth|bearer|cred|cookie|seed|eyj|gh[pousr]_|xox|akia|://|-----BEGIN)");
  const RE2* pem_inline =
      new RE2(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----)");
  const RE2* pem_begin = new RE2(R"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*$)");
  const RE2* pem_end = new RE2(R"(^.*?-----END [A-Z0-9 ]*PRIVATE KEY-----)");
  const RE2* yaml_block =
      new RE2(std::string(R"(^(\s*)(?:- )?)") + kSecretName + R"(\s*:\s*(?:[|>][-+]?[0-9]?)?\s*$)");
  const RE2* hex_key = new RE2(
      R"((?i)([A-Za-z0-9_.\-]*(?:key|seed)[A-Za-z0-9_.\-]*["']?\s*[:=]\s*["']?(?:0x)?)([0-9a-f]{128}|[0-9a-f]{64})\b)");
  std::vector<Rule> rules = {
      {new RE2(
           R"((?i)(authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;}\[]+)"),
       R"(\1[REDACTED])"},
      {new RE2(R"((?i)\b(bearer\s+)[A-Za-z0-9._~+/=\-]{8,})"), R"(\1[REDACTED])"},
      {new RE2(std::string(kSecretName) + R"((["']?\s*[:=]\s*")[^"]+")"), R"(\1\2[REDACTED]")"},
      {new RE2(std::string(kSecretName) + R"((["']?\s*[:=]\s*')[^']+')"), R"(\1\2[REDACTED]')"},
      {new RE2(std::string(kSecretName) + R"((["']?\s*[:=]\s*)[^\s"'\[,;}&|>][^\s,;}&"']*)"),
       R"(\1\2[REDACTED])"},
      {new RE2(
           R"((?i)(--[a-z0-9\-]*(?:password|token|secret|private-key)[a-z0-9\-]*\s+)[^\s\[\-][^\s]*)"),
       R"(\1[REDACTED])"},
      {new RE2(R"(\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,})"), "[REDACTED]"},
      {new RE2(R"(\bgh[pousr]_[A-Za-z0-9]{20,})"), "[REDACTED]"},
      {new RE2(R"(\bxox[abprs]-[A-Za-z0-9\-]{10,})"), "[REDACTED]"},
      {new RE2(R"(\bAKIA[0-9A-Z]{16}\b)"), "[REDACTED]"},
      {new RE2(R"(([a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:)[^@\s/\[]+@)"), R"(\1[REDACTED]@)"},
  };
};

const Patterns& P() {
  static const Patterns* patterns = new Patterns();
  return *patterns;
}

bool ContainsPub(std::string_view name) {
  for (size_t i = 0; i + 3 <= name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) == 'p' &&
        std::tolower(static_cast<unsigned char>(name[i + 1])) == 'u' &&
        std::tolower(static_cast<unsigned char>(name[i + 2])) == 'b') {
      return true;
    }
  }
  return false;
}

int Indent(std::string_view line) {
  int n = 0;
  while (n < static_cast<int>(line.size()) && (line[n] == ' ' || line[n] == '\t')) ++n;
  return n;
}

// Replaces 64/128-hex values after key-ish names, sparing public keys (pubkey, public_key).
uint64_t RedactHexKeys(std::string* text) {
  uint64_t count = 0;
  std::string out;
  re2::StringPiece input(*text);
  re2::StringPiece prefix, hex;
  const char* last = text->data();
  while (RE2::FindAndConsume(&input, *P().hex_key, &prefix, &hex)) {
    if (ContainsPub(std::string_view(prefix.data(), prefix.size()))) continue;
    out.append(last, hex.data() - last);
    out.append(kRedacted);
    last = hex.data() + hex.size();
    ++count;
  }
  if (count > 0) {
    out.append(last, text->data() + text->size() - last);
    *text = std::move(out);
  }
  return count;
}

}  // namespace

std::string Redactor::RedactLine(std::string_view line, bool* drop) {
  if (drop != nullptr) *drop = false;
  std::string text(line);
  if (in_pem_) {
    if (RE2::Replace(&text, *P().pem_end, "")) {
      in_pem_ = false;
      text.insert(0, kRedacted);
    } else {
      if (drop != nullptr) *drop = true;
      return {};
    }
  }
  if (block_indent_ >= 0) {
    const bool blank = Indent(text) == static_cast<int>(text.size());
    if (blank || Indent(text) > block_indent_) {
      if (drop != nullptr) *drop = true;
      return {};
    }
    block_indent_ = -1;
  }
  if (!RE2::PartialMatch(text, *P().prefilter)) return text;

  redactions_ += RE2::GlobalReplace(&text, *P().pem_inline, std::string(kRedacted));
  if (RE2::Replace(&text, *P().pem_begin, std::string(kRedacted))) {
    ++redactions_;
    in_pem_ = true;
    return text;
  }
  std::string indent;
  if (RE2::FullMatch(text, *P().yaml_block, &indent, nullptr)) {
    block_indent_ = static_cast<int>(indent.size());
    ++redactions_;
    return text + " " + std::string(kRedacted);
  }
  redactions_ += RedactHexKeys(&text);
  for (const Rule& rule : P().rules) {
    redactions_ += RE2::GlobalReplace(&text, *rule.re, rule.rewrite);
  }
  return text;
}

}  // namespace guts::bundle
