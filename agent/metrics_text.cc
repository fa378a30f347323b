#include "agent/metrics_text.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace guts::agent {
namespace {

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_' || c == ':'; }
bool IsNameChar(char c) { return IsNameStart(c) || absl::ascii_isdigit(c); }

bool ParseValue(absl::string_view text, double& value) {
  if (text == "+Inf" || text == "Inf" || text == "+inf") {
    value = std::numeric_limits<double>::infinity();
  } else if (text == "-Inf" || text == "-inf") {
    value = -std::numeric_limits<double>::infinity();
  } else if (text == "NaN" || text == "nan") {
    value = std::numeric_limits<double>::quiet_NaN();
  } else {
    return absl::SimpleAtod(text, &value) && !std::isnan(value);
  }
  return true;
}

// Parses one sample line; `line` is consumed. Returns an error message or "".
std::string ParseSample(absl::string_view line, MetricSample& sample) {
  size_t i = 0;
  if (line.empty() || !IsNameStart(line[0])) return "metric name expected";
  while (i < line.size() && IsNameChar(line[i])) ++i;
  sample.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size()) return "label set not closed with '}'";
      if (line[i] == '}') {
        ++i;
        break;
      }
      size_t start = i;
      if (!IsNameStart(line[i])) return absl::StrCat("label name expected at column ", i + 1);
      while (i < line.size() && IsNameChar(line[i])) ++i;
      std::string key(line.substr(start, i - start));
      if (i >= line.size() || line[i] != '=') return absl::StrCat("'=' expected after ", key);
      ++i;
      if (i >= line.size() || line[i] != '"') {
        return absl::StrCat("'\"' expected for label ", key);
      }
      ++i;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          value.push_back(c);
          continue;
        }
        if (i >= line.size()) break;
        char escaped = line[i++];
        if (escaped == 'n') {
          value.push_back('\n');
        } else if (escaped == '\\' || escaped == '"') {
          value.push_back(escaped);
        } else {
          return absl::StrCat("bad escape '\\", std::string(1, escaped), "' in label ", key);
        }
      }
      if (!closed) return absl::StrCat("label ", key, " value not closed with '\"'");
      while (i < line.size() && line[i] == ' ') ++i;
      if (i < line.size() && line[i] == ',') {
        ++i;
      } else if (i >= line.size() || line[i] != '}') {
        return absl::StrCat("',' or '}' expected after label ", key);
      }
      sample.labels.emplace_back(std::move(key), std::move(value));
    }
  }
  absl::string_view rest = line.substr(i);
  // An OpenMetrics exemplar follows " # "; it is not part of the value.
  if (size_t hash = rest.find(" # "); hash != absl::string_view::npos) rest = rest.substr(0, hash);
  std::vector<absl::string_view> fields = absl::StrSplit(rest, ' ', absl::SkipEmpty());
  if (fields.empty()) return absl::StrCat("value missing for ", sample.name);
  if (fields.size() > 2) return absl::StrCat("unexpected text after the value of ", sample.name);
  if (!ParseValue(fields[0], sample.value)) {
    return absl::StrCat("'", fields[0], "' is not a number (value of ", sample.name, ")");
  }
  double timestamp = 0;
  if (fields.size() == 2 && !absl::SimpleAtod(fields[1], &timestamp)) {
    return absl::StrCat("'", fields[1], "' is not a timestamp");
  }
  return "";
}

}  // namespace

std::string MetricSample::Label(absl::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return "";
}

absl::StatusOr<std::vector<MetricSample>> ParseMetricsText(absl::string_view text) {
  std::vector<MetricSample> samples;
  int line_number = 0;
  bool eof = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    if (eof) {
      if (line.empty()) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": content after '# EOF'"));
    }
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty()) continue;
    if (trimmed[0] == '#') {
      if (trimmed == "# EOF") eof = true;
      continue;  // HELP, TYPE, UNIT and plain comments carry no samples
    }
    MetricSample sample;
    if (std::string error = ParseSample(trimmed, sample); !error.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", error));
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace guts::agent
