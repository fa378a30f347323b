#include "agent/cri_log_line.h"

#include <string>

#include "absl/time/time.h"

namespace guts::agent {

absl::optional<CriLogLine> ParseCriLogLine(absl::string_view raw) {
  // <time> SP <stream> SP <tag> SP <payload>; the payload may be empty (an empty line).
  size_t time_end = raw.find(' ');
  if (time_end == absl::string_view::npos || time_end < 20 || time_end > 40) return absl::nullopt;
  absl::string_view rest = raw.substr(time_end + 1);
  if (rest.substr(0, 7) != "stdout " && rest.substr(0, 7) != "stderr ") return absl::nullopt;
  rest = rest.substr(7);
  if (rest.size() < 1 || (rest[0] != 'F' && rest[0] != 'P') ||
      (rest.size() > 1 && rest[1] != ' ')) {
    return absl::nullopt;
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, raw.substr(0, time_end), &time, &error)) {
    return absl::nullopt;
  }
  return CriLogLine{.payload = rest.size() > 2 ? rest.substr(2) : absl::string_view(),
                    .partial = rest[0] == 'P'};
}

}  // namespace guts::agent
