#include "common/logging.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace guts {

absl::Status InitLogging(absl::string_view process_name, absl::string_view level) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  // from_str maps anything unknown to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log-level: unknown level '", level,
                     "' (expected trace, debug, info, warn, error, critical or off)"));
  }
  auto logger = spdlog::stderr_color_mt(std::string(process_name));
  logger->set_pattern(absl::StrCat("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [", process_name, "] %v"));
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace guts
