#include "sim/node_log.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace guts::sim {

NodeLog::~NodeLog() { Close(); }

absl::Status NodeLog::Open(const std::string& path) {
  Close();
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    return absl::InternalError(absl::StrCat("cannot open log ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void NodeLog::Close() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

namespace {

// tracing's pretty format: level coloured, target dimmed, fields after the message.
std::string PrettyLine(const std::string& time, const char* level, const std::string& target,
                       const std::string& message, const nlohmann::json& fields,
                       const char* filename, int line,
                       std::initializer_list<const char*> debug_fields) {
  std::string_view lv = level;
  const char* colour = lv == "ERROR" ? "31" : lv == "WARN" ? "33" : "32";
  std::string out = absl::StrCat("  ", time, " \x1b[", colour, "m", lv.size() == 4 ? " " : "",
                                 level, "\x1b[0m \x1b[2m", target, "\x1b[0m: ", message);
  for (const auto& [key, value] : fields.items()) {
    if (key == "message") continue;
    bool debug = false;
    for (const char* d : debug_fields) debug = debug || key == d;
    std::string text = value.is_string()
                           ? (debug ? value.get<std::string>()
                                    : absl::StrCat("\"", value.get<std::string>(), "\""))
                           : value.dump();
    absl::StrAppend(&out, ", ", key, ": ", text);
  }
  absl::StrAppend(&out, "\n    at ", filename, ":", line, "\n\n");
  return out;
}

}  // namespace

void NodeLog::Write(const char* level, const std::string& target, const std::string& message,
                    nlohmann::json fields, const char* filename, int line,
                    std::initializer_list<const char*> debug_fields) {
  if (file_ == nullptr) return;
  if (!fields.is_object()) fields = nlohmann::json::object();
  std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now() + clock_offset_, absl::UTCTimeZone());
  if (format_ == LogFormat::kPretty) {
    std::string text =
        PrettyLine(time, level, target, message, fields, filename, line, debug_fields);
    std::fwrite(text.data(), 1, text.size(), file_);
    std::fflush(file_);
    return;
  }
  fields["message"] = message;
  nlohmann::json j;
  j["timestamp"] = time;
  j["level"] = level;
  j["fields"] = std::move(fields);
  j["target"] = target;
  j["filename"] = filename;
  j["line_number"] = line;
  j["span"] = {{"name", "node"}};
  std::string text = j.dump();
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

void NodeLog::Info(const std::string& target, const std::string& message, nlohmann::json fields) {
  Write("INFO", target, message, std::move(fields), "crates/guts-node/src/main.rs", 0);
}

void NodeLog::Warn(const std::string& target, const std::string& message, nlohmann::json fields) {
  Write("WARN", target, message, std::move(fields), "crates/guts-node/src/main.rs", 0);
}

void NodeLog::Plain(const std::string& text) {
  if (file_ == nullptr) return;
  std::fprintf(file_, "%s\n", text.c_str());
  std::fflush(file_);
}

}  // namespace guts::sim
