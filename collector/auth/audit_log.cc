#include "collector/auth/audit_log.h"

#include "absl/strings/str_cat.h"
#include "spdlog/logger.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace guts::collector {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  spdlog::sink_ptr sink;
  try {
    if (path.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return absl::InvalidArgumentError(absl::StrCat("--audit-log ", path, ": ", e.what()));
  }
  // Not registered globally: the audit trail never mixes with the process's own log.
  auto logger = std::make_shared<spdlog::logger>("audit", std::move(sink));
  logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "%Y-%m-%dT%H:%M:%S.%eZ audit %v", spdlog::pattern_time_type::utc));
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(logger)));
}

AuditLog::AuditLog(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}
AuditLog::~AuditLog() = default;

void AuditLog::Record(absl::string_view who, absl::string_view what, absl::string_view outcome) {
  logger_->info("who={} what={} outcome={}", std::string(who), std::string(what),
                std::string(outcome));
}

}  // namespace guts::collector
