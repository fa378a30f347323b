// The audit trail of diagnostic bundles: every bundle request, listing and download, granted or
// refused, with who (certificate CN or token name, role, peer address), what (nodes, bundle
// id) and when (UTC), one line each, flushed as written. `--audit-log PATH` writes to a file;
// without it the lines go to stderr prefixed "audit".
//
// Example:
//   absl::StatusOr<std::unique_ptr<AuditLog>> audit = AuditLog::Open("/var/log/guts/audit.log");
//   (*audit)->Record("operator (certificate CN=alice)", "CollectBundle nodes=v1", "granted");
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace spdlog {
class logger;
}

namespace guts::collector {

class AuditLog {
 public:
  // `path` "" means stderr. INVALID_ARGUMENT when the file cannot be opened for appending.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();

  // One line: "<UTC time> audit who=<who> what=<what> outcome=<outcome>".
  void Record(absl::string_view who, absl::string_view what, absl::string_view outcome);

 private:
  explicit AuditLog(std::shared_ptr<spdlog::logger> logger);
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace guts::collector
