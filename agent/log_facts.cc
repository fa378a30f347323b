#include "agent/log_facts.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/cri_log_line.h"
#include "nlohmann/json.hpp"

namespace guts::agent {
namespace {

constexpr size_t kRecentErrors = 5;
// A line the kubelet split into more parts than this is not the node's log format; counted as
// unparsed rather than held in memory.
constexpr size_t kMaxPartialLineBytes = 1 << 20;

std::string StripAnsi(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !absl::ascii_isalpha(text[i])) ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

bool ParseTimestamp(absl::string_view text, absl::Time& time) {
  std::string error;
  return absl::ParseTime(absl::RFC3339_full, text, &time, &error);
}

// "height: 42" (pretty) or "height=42" (full) -> 42.
bool FindField(absl::string_view text, absl::string_view key, std::string& value) {
  for (absl::string_view separator : {": ", "="}) {
    std::string needle = std::string(key) + std::string(separator);
    size_t at = 0;
    while ((at = text.find(needle, at)) != absl::string_view::npos) {
      bool word_start = at == 0 || !(absl::ascii_isalnum(text[at - 1]) || text[at - 1] == '_');
      at += needle.size();
      if (!word_start) continue;
      size_t end = at;
      while (end < text.size() && text[end] != ',' && text[end] != ' ') ++end;
      value = std::string(absl::StripAsciiWhitespace(text.substr(at, end - at)));
      // Strings are quoted in the pretty format: block_id: "ab12".
      if (!value.empty() && value.front() == '"') value.erase(0, 1);
      if (!value.empty() && value.back() == '"') value.pop_back();
      return true;
    }
  }
  return false;
}

bool IsLevel(absl::string_view word) {
  return word == "TRACE" || word == "DEBUG" || word == "INFO" || word == "WARN" || word == "ERROR";
}

}  // namespace

bool LogFactsBuilder::ParseJson(absl::string_view raw, Line& line) const {
  nlohmann::json entry = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (!entry.is_object()) return false;
  if (auto ts = entry.find("timestamp"); ts != entry.end() && ts->is_string()) {
    line.has_time = ParseTimestamp(ts->get<std::string>(), line.time);
  }
  if (auto level = entry.find("level"); level != entry.end() && level->is_string()) {
    line.level = absl::AsciiStrToUpper(level->get<std::string>());
  }
  auto fields = entry.find("fields");
  if (fields != entry.end() && fields->is_object()) {
    if (auto m = fields->find("message"); m != fields->end() && m->is_string()) {
      line.message = m->get<std::string>();
    }
    if (auto h = fields->find("height"); h != fields->end()) {
      if (h->is_number_unsigned() || h->is_number_integer()) {
        line.height = h->get<uint64_t>();
        line.has_height = true;
      } else if (h->is_string()) {
        line.has_height = absl::SimpleAtoi(h->get<std::string>(), &line.height);
      }
    }
    if (auto b = fields->find("block_id"); b != fields->end() && b->is_string()) {
      line.block_id = b->get<std::string>();
    }
  } else if (auto m = entry.find("message"); m != entry.end() && m->is_string()) {
    line.message = m->get<std::string>();
  }
  line.text = std::string(raw);
  return true;
}

bool LogFactsBuilder::ParseText(absl::string_view raw, Line& line) const {
  std::string clean = StripAnsi(raw);
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(clean);
  std::vector<absl::string_view> head = absl::StrSplit(rest, absl::MaxSplits(' ', 1));
  if (head.size() < 2 || !ParseTimestamp(head[0], line.time)) return false;
  line.has_time = true;
  rest = absl::StripLeadingAsciiWhitespace(head[1]);
  head = absl::StrSplit(rest, absl::MaxSplits(' ', 1));
  if (head.size() < 2 || !IsLevel(head[0])) return false;
  line.level = std::string(head[0]);
  rest = absl::StripLeadingAsciiWhitespace(head[1]);
  // "guts_node::consensus: message, key: value" -- drop the target when there is one.
  size_t colon = rest.find(": ");
  if (colon != absl::string_view::npos &&
      rest.substr(0, colon).find(' ') == absl::string_view::npos) {
    rest = rest.substr(colon + 2);
  }
  line.text = std::string(rest);
  size_t comma = rest.find(", ");
  line.message = std::string(comma == absl::string_view::npos ? rest : rest.substr(0, comma));
  std::string value;
  if (FindField(rest, "height", value)) line.has_height = absl::SimpleAtoi(value, &line.height);
  if (FindField(rest, "block_id", value)) line.block_id = value;
  return true;
}

void LogFactsBuilder::Observe(absl::string_view raw, absl::Time read_at) {
  absl::optional<CriLogLine> cri = ParseCriLogLine(raw);
  if (!cri) {
    ObserveLine(raw, read_at);
    return;
  }
  if (partial_.empty() && !partial_overflow_ && !cri->partial) {
    ObserveLine(cri->payload, read_at);
    return;
  }
  if (partial_.size() + cri->payload.size() > kMaxPartialLineBytes) {
    partial_overflow_ = true;
    partial_.clear();
  } else if (!partial_overflow_) {
    partial_.append(cri->payload.data(), cri->payload.size());
  }
  if (cri->partial) return;
  if (partial_overflow_) {
    ++lines_read_;
    ++lines_unparsed_;
  } else {
    ObserveLine(partial_, read_at);
  }
  partial_.clear();
  partial_overflow_ = false;
}

void LogFactsBuilder::ObserveLine(absl::string_view raw, absl::Time read_at) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(raw);
  if (trimmed.empty()) return;
  ++lines_read_;
  Line line;
  bool parsed = (trimmed.front() == '{' && ParseJson(trimmed, line)) || ParseText(raw, line);
  if (!parsed) {
    std::string clean = StripAnsi(trimmed);
    absl::string_view text = absl::StripLeadingAsciiWhitespace(clean);
    // Pretty format continuation lines ("at src/x.rs:12", "in span") belong to the line above.
    if (absl::StartsWith(text, "at ") || absl::StartsWith(text, "in ")) return;
    if (absl::StrContains(text, "Failed to load config file") &&
        absl::StrContains(text, "Using defaults")) {
      line.level = "WARN";
      line.message = std::string(text);
      line.text = line.message;
    } else {
      ++lines_unparsed_;
      return;
    }
  }
  if (!line.has_time) line.time = read_at;
  Count(line);
}

void LogFactsBuilder::Count(const Line& line) {
  const std::string& text = line.text;
  const std::string& message = line.message;
  if (line.level == "ERROR") ++error_lines_;
  if (line.level == "WARN") ++warning_lines_;

  if (absl::StrContains(message, "finalized block") && line.has_height &&
      line.height >= finalized_height_) {
    if (line.height > finalized_height_ || finalized_time_ == absl::Time()) {
      finalized_time_ = line.time;
    }
    finalized_height_ = line.height;
    if (!line.block_id.empty()) finalized_block_id_ = line.block_id;
  }
  if (absl::StrContains(text, "Failed to load config file") &&
      absl::StrContains(text, "Using defaults")) {
    config_fallback_ = true;
    fallback_since_start_ = true;
  }
  if (absl::StrContains(message, "Starting Guts node")) {
    ++starts_seen_;
    stopped_ = false;
    // The fallback warning is printed just before the start line; a start without it means
    // this run loaded its config.
    config_fallback_ = fallback_since_start_;
    fallback_since_start_ = false;
  }
  if (absl::StrContains(message, "Guts node stopped")) stopped_ = true;

  std::string kind;
  if (absl::StrContains(text, "checksum mismatch") || absl::StrContains(text, "corrupted object") ||
      absl::StrContains(text, "corruption detected")) {
    ++corruption_lines_;
    kind = "corruption";
  } else if (absl::StrContains(text, "equivocation") || absl::StrContains(text, "conflicting")) {
    ++byzantine_lines_;
    kind = "equivocation";
  } else if ((line.level == "ERROR" || line.level == "WARN") &&
             absl::StrContains(text, "invalid")) {
    ++byzantine_lines_;
    kind = "invalid";
  } else if (absl::StrContains(message, "Failed to bind to address")) {
    kind = "bind_failed";
  } else if (absl::StrContains(message, "Failed to start Simplex BFT consensus")) {
    kind = "consensus_start_failed";
  } else if (absl::StrContains(message, "Consensus engine error")) {
    kind = "consensus_engine_error";
  } else if (absl::StrContains(message, "API error")) {
    kind = "api_error";
  } else if (line.level == "ERROR") {
    kind = "other_error";
  }
  if (!kind.empty()) ++errors_by_kind_[kind];
  if (line.level == "ERROR" || kind == "corruption") {
    recent_errors_.push_back(message.empty() ? text.substr(0, 300) : message.substr(0, 300));
    if (recent_errors_.size() > kRecentErrors) recent_errors_.pop_front();
  }
}

void LogFactsBuilder::Fill(absl::Time now, ::guts::diag::v1::LogFacts& facts) const {
  facts.set_finalized_height(finalized_height_);
  if (finalized_height_ > 0) {
    facts.set_finalized_age_ms(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(now - finalized_time_)));
  }
  facts.set_finalized_block_id(finalized_block_id_);
  for (const auto& [kind, count] : errors_by_kind_) (*facts.mutable_errors_by_kind())[kind] = count;
  facts.set_error_lines(error_lines_);
  facts.set_warning_lines(warning_lines_);
  facts.set_config_fallback(config_fallback_);
  facts.set_corruption_lines(corruption_lines_);
  facts.set_byzantine_lines(byzantine_lines_);
  facts.set_starts_seen(starts_seen_);
  facts.set_stopped(stopped_);
  facts.set_lines_read(lines_read_);
  facts.set_lines_unparsed(lines_unparsed_);
  for (const std::string& error : recent_errors_) facts.add_recent_errors(error);
}

}  // namespace guts::agent
