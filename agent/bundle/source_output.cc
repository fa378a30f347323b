#include "agent/bundle/source_output.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bundle_format/sha256.h"

namespace guts::bundle {
namespace {
// A line longer than this is redacted in pieces; it bounds memory for binary or one-line input.
constexpr size_t kMaxLine = 64 * 1024;
}  // namespace

struct SourceOutput::Digest {
  Sha256 hash;
};

SourceOutput::SourceOutput(uint64_t max_bytes, bool redact)
    : max_bytes_(max_bytes), redact_(redact), digest_(std::make_unique<Digest>()) {
  file_ = std::tmpfile();
  if (file_ == nullptr) {
    status_ = absl::InternalError(absl::StrCat("cannot create spool file: ", std::strerror(errno)));
  }
}

SourceOutput::~SourceOutput() {
  if (file_ != nullptr) std::fclose(file_);
}

bool SourceOutput::Write(std::string_view bytes) {
  if (cap_hit_ || !status_.ok() || finished_) return false;
  if (!redact_) {
    Keep(bytes);
    return !cap_hit_ && status_.ok();
  }
  while (!bytes.empty() && !cap_hit_) {
    const size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      bytes = {};
      if (partial_.size() >= kMaxLine) {
        Emit(partial_, false);
        partial_.clear();
      }
      break;
    }
    if (partial_.empty()) {
      Emit(bytes.substr(0, nl), true);
    } else {
      partial_.append(bytes.substr(0, nl));
      Emit(partial_, true);
      partial_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
  return !cap_hit_ && status_.ok();
}

void SourceOutput::Emit(std::string_view line, bool newline) {
  bool drop = false;
  std::string redacted = redactor_.RedactLine(line, &drop);
  if (drop) return;
  if (newline) redacted.push_back('\n');
  Keep(redacted);
}

void SourceOutput::Keep(std::string_view bytes) {
  if (file_ == nullptr) return;
  if (bytes_ + bytes.size() > max_bytes_) {
    bytes = bytes.substr(0, max_bytes_ - bytes_);
    truncated_ = true;
    cap_hit_ = true;
  }
  if (bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    status_ = absl::InternalError(absl::StrCat("spool write failed: ", std::strerror(errno)));
    return;
  }
  digest_->hash.Update(bytes);
  bytes_ += bytes.size();
}

void SourceOutput::Finish() {
  if (finished_) return;
  if (!partial_.empty() && !cap_hit_) Emit(partial_, false);
  partial_.clear();
  finished_ = true;
  sha256_hex_ = digest_->hash.FinishHex();
  if (file_ != nullptr) {
    std::fflush(file_);
    std::rewind(file_);
  }
}

}  // namespace guts::bundle
