// Where a bundle source writes: redaction, a byte cap and a checksum in one pass.
//
// Bytes a source writes are split into lines, passed through a Redactor (unless redaction is
// disabled), counted against the source's cap and spooled to an anonymous temporary file, so a
// source's memory stays bounded however much it produces (a 200 MB log streams through). Once
// the cap is reached further writes are refused and the output is marked truncated.
//
// Thread-compatible: one source thread writes; the bundle builder reads only after the source
// finished (the run's mutex orders the two).
//
// Example:
//   SourceOutput out(1 << 20, /*redact=*/true);
//   if (!out.Write("password: x\n")) { /* cap reached: stop producing */ }
//   out.Finish();
#ifndef GUTS_AGENT_BUNDLE_SOURCE_OUTPUT_H_
#define GUTS_AGENT_BUNDLE_SOURCE_OUTPUT_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "agent/bundle/redactor.h"

namespace guts::bundle {

class SourceOutput {
 public:
  // `max_bytes` caps the bytes kept (after redaction).
  SourceOutput(uint64_t max_bytes, bool redact);
  ~SourceOutput();
  SourceOutput(const SourceOutput&) = delete;
  SourceOutput& operator=(const SourceOutput&) = delete;

  // Appends `bytes`. Returns false once the cap is reached (the source should stop) or the
  // spool file failed (see status()).
  bool Write(std::string_view bytes);
  // Flushes a last line without a newline. Call once, after the last Write.
  void Finish();
  // Records that the source left data out on purpose (e.g. the head of a log beyond the cap).
  void MarkTruncated() { truncated_ = true; }

  uint64_t max_bytes() const { return max_bytes_; }
  bool truncated() const { return truncated_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t redactions() const { return redactor_.redactions(); }
  // Lowercase hex SHA-256 of the bytes kept. REQUIRES: Finish() was called.
  const std::string& sha256_hex() const { return sha256_hex_; }
  // OK unless the spool file could not be created or written.
  const absl::Status& status() const { return status_; }
  // The spool, positioned at its start after Finish(); owned by this object.
  FILE* file() const { return file_; }

 private:
  void Emit(std::string_view line, bool newline);
  void Keep(std::string_view bytes);

  const uint64_t max_bytes_;
  const bool redact_;
  Redactor redactor_;
  std::string partial_;
  FILE* file_ = nullptr;
  struct Digest;
  std::unique_ptr<Digest> digest_;
  uint64_t bytes_ = 0;
  bool truncated_ = false;
  bool cap_hit_ = false;
  bool finished_ = false;
  std::string sha256_hex_;
  absl::Status status_;
};

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_SOURCE_OUTPUT_H_
