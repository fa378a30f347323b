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

void NodeLog::Write(const char* level, const std::string& target, const std::string& message,
                    nlohmann::json fields, const char* filename, int line) {
  if (file_ == nullptr) return;
  if (!fields.is_object()) fields = nlohmann::json::object();
  fields["message"] = message;
  nlohmann::json j;
  j["timestamp"] =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now() + clock_offset_, absl::UTCTimeZone());
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
