#include "sim/scenario_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace guts::sim {

absl::StatusOr<Scenario> ParseScenario(absl::string_view text, absl::string_view name,
                                       int node_count) {
  Scenario scenario;
  int line_no = 0;
  absl::Duration last = absl::ZeroDuration();
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    auto error = [&](absl::string_view problem) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_no, ": ", problem));
    };
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    ScenarioStep step;
    step.line = line_no;
    if (!absl::ParseDuration(words[0], &step.at) || step.at < absl::ZeroDuration()) {
      return error(absl::StrCat("expected a time like 10s or 1m30s, got '", words[0], "'"));
    }
    if (step.at < last) {
      return error(absl::StrCat("time ", words[0], " is earlier than the line before"));
    }
    last = step.at;
    if (words.size() < 2) return error("missing a command after the time");
    absl::StatusOr<FaultCommand> command =
        ParseFaultCommand(std::vector<std::string>(words.begin() + 1, words.end()), node_count);
    if (!command.ok()) return error(command.status().message());
    if (command->kind == FaultKind::kStatus) return error("'status' is not a fault");
    step.command = *std::move(command);
    scenario.push_back(std::move(step));
  }
  return scenario;
}

absl::StatusOr<Scenario> LoadScenario(const std::string& path, int node_count) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read scenario file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseScenario(text.str(), path, node_count);
}

}  // namespace guts::sim
