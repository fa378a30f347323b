// Redaction: the stage every byte of a bundle passes through before it is archived.
//
// A Redactor rewrites text line by line and counts what it removed: PEM private key blocks
// (also when embedded in one JSON string), hex private keys (64 or 128 hex digits after a
// key-ish name that is not a public key), values of secret-ish names (private_key, secret,
// token, password, passphrase, api_key, credentials, GUTS_PRIVATE_KEY, ...) in YAML, JSON, env
// and log lines, YAML block scalars under such names, Authorization headers and bearer tokens,
// well-known token shapes (JWT, GitHub, Slack, AWS access key ids) and passwords in URLs.
// Over-redaction is preferred to a leak: a value is removed whenever its name looks secret.
//
// Thread-compatible: one Redactor per stream (it keeps state across lines for PEM blocks and
// YAML block scalars). Distinct Redactors may run on distinct threads concurrently.
//
// Example:
//   Redactor r;
//   std::string out = r.RedactLine("password: hunter2");  // "password: [REDACTED]"
//   r.redactions();                                        // 1
#ifndef GUTS_AGENT_BUNDLE_REDACTOR_H_
#define GUTS_AGENT_BUNDLE_REDACTOR_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace guts::bundle {

inline constexpr std::string_view kRedacted = "[REDACTED]";

class Redactor {
 public:
  // Returns `line` (given without its newline) with secrets replaced by kRedacted. Lines inside
  // a PEM private key block or a secret YAML block scalar come back empty and `*drop` is set,
  // so that the caller can leave them out entirely.
  std::string RedactLine(std::string_view line, bool* drop = nullptr);

  // Secrets removed so far (a PEM block or a block scalar counts once).
  uint64_t redactions() const { return redactions_; }

 private:
  uint64_t redactions_ = 0;
  bool in_pem_ = false;
  // Indentation of a secret YAML key whose value is a block scalar; -1 when not inside one.
  int block_indent_ = -1;
};

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_REDACTOR_H_
