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

// A value the node wrote with Rust's Debug format, reduced to its hex when it is a key or a
// digest: `"ab12"`, `0xAB12`, `Digest(ab12)`, `PublicKey(ab12)` -> "ab12". Other text is kept
// (bounded) as written.
std::string DebugHex(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (size_t open = text.find('('); open != absl::string_view::npos && text.back() == ')') {
    text = text.substr(open + 1, text.size() - open - 2);
  }
  text = absl::StripAsciiWhitespace(text);
  while (!text.empty() && (text.front() == '"' || text.front() == '\'')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '"' || text.back() == '\'')) text.remove_suffix(1);
  absl::ConsumePrefix(&text, "0x");
  std::string out(text.substr(0, 256));
  bool hex = !out.empty();
  for (char c : out) hex = hex && absl::ascii_isxdigit(c);
  if (hex) absl::AsciiStrToLower(&out);
  return out;
}

// The view out of a Debug-formatted round: `Round { epoch: 0, view: 12 }`, `view=12`, or a
// tuple `(0, 12)` (the view last).
bool ViewOfRound(absl::string_view text, uint64_t& view) {
  size_t at = 0;
  while ((at = text.find("view", at)) != absl::string_view::npos) {
    bool word_start = at == 0 || !(absl::ascii_isalnum(text[at - 1]) || text[at - 1] == '_');
    at += 4;
    if (!word_start) continue;
    size_t i = at;
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size() || (text[i] != ':' && text[i] != '=')) continue;
    ++i;
    while (i < text.size() && text[i] == ' ') ++i;
    size_t end = i;
    while (end < text.size() && absl::ascii_isdigit(text[end])) ++end;
    if (end > i && absl::SimpleAtoi(text.substr(i, end - i), &view)) return true;
  }
  size_t close = text.rfind(')');
  size_t open = text.rfind('(');
  if (close != absl::string_view::npos && open != absl::string_view::npos && open < close) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(text.substr(open + 1, close - open - 1), ',');
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(parts.back()), &view);
  }
  return false;
}

std::string JsonText(const nlohmann::json& fields, const char* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
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
    } else if (fields->contains("digest")) {
      line.block_id = DebugHex(JsonText(*fields, "digest"));
    }
    if (fields->contains("round")) {
      line.has_round_view = ViewOfRound(JsonText(*fields, "round"), line.round_view);
    }
    if (auto ok = fields->find("success"); ok != fields->end()) {
      line.success = ok->is_boolean() ? ok->get<bool>() : JsonText(*fields, "success") == "true";
    }
    if (fields->contains("public_key")) line.public_key = DebugHex(JsonText(*fields, "public_key"));
    std::string addr = JsonText(*fields, "listen_addr");
    if (addr.empty()) addr = JsonText(*fields, "p2p_addr");
    line.listen_addr = addr.substr(0, 256);
    line.external_addr = JsonText(*fields, "external_addr").substr(0, 256);
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
  if (FindField(rest, "block_id", value)) {
    line.block_id = value;
  } else if (FindField(rest, "digest", value)) {
    line.block_id = DebugHex(value);
  }
  if (absl::StrContains(rest, "round")) line.has_round_view = ViewOfRound(rest, line.round_view);
  if (FindField(rest, "success", value)) line.success = value == "true";
  if (FindField(rest, "public_key", value)) line.public_key = DebugHex(value);
  if (FindField(rest, "listen_addr", value) || FindField(rest, "p2p_addr", value)) {
    line.listen_addr = value.substr(0, 256);
  }
  if (FindField(rest, "external_addr", value)) line.external_addr = value.substr(0, 256);
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

  // Simplex lines.
  // The full text format has no comma after the message: "proposed new block round=...".
  if (absl::StartsWith(message, "proposed new block") && line.has_round_view) {
    if (line.round_view > proposed_view_ || proposed_time_ == absl::Time()) {
      proposed_time_ = line.time;
    }
    proposed_view_ = std::max(proposed_view_, line.round_view);
    ++(line.success ? proposals_succeeded_ : proposals_failed_);
  }
  if (absl::StrContains(message, "Starting Guts node")) {
    engine_failed_ = false;
    simplex_started_ = false;
  }
  if (absl::StrContains(message, "Consensus engine task failed") ||
      absl::StrContains(message, "Consensus engine stopped unexpectedly")) {
    engine_failed_ = true;
    engine_failed_time_ = line.time;
  }
  if (absl::StrContains(message, "Starting Simplex BFT consensus")) {
    simplex_started_ = true;
    if (!line.public_key.empty()) public_key_ = line.public_key;
    if (!line.listen_addr.empty()) p2p_listen_addr_ = line.listen_addr;
  }
  if (absl::StrContains(message, "P2P network started")) {
    if (!line.public_key.empty()) public_key_ = line.public_key;
    // A wildcard listen address says nothing about where peers reach the node; the external
    // address does.
    bool wildcard = absl::StartsWith(line.listen_addr, "0.0.0.0:") ||
                    absl::StartsWith(line.listen_addr, "[::]:");
    if (wildcard && !line.external_addr.empty()) {
      p2p_listen_addr_ = line.external_addr;
    } else if (!line.listen_addr.empty()) {
      p2p_listen_addr_ = line.listen_addr;
    }
  }

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
  } else if (absl::StrContains(message, "Consensus engine task failed") ||
             absl::StrContains(message, "Consensus engine stopped unexpectedly")) {
    kind = "consensus_engine_failed";
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
  facts.set_proposed_view(proposed_view_);
  if (proposed_time_ != absl::Time()) {
    facts.set_proposed_age_ms(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(now - proposed_time_)));
  }
  facts.set_proposals_succeeded(proposals_succeeded_);
  facts.set_proposals_failed(proposals_failed_);
  facts.set_engine_failed(engine_failed_);
  if (engine_failed_) {
    facts.set_engine_failed_age_ms(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(now - engine_failed_time_)));
  }
  facts.set_public_key(public_key_);
  facts.set_p2p_listen_addr(p2p_listen_addr_);
  facts.set_simplex_started(simplex_started_);
}

}  // namespace guts::agent
