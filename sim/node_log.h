// One simulated node's log file in the real node's formats: one JSON object per line as
// tracing's JSON layer writes it ({timestamp, level, fields: {message, ...}, target, filename,
// line_number, span}), or tracing's pretty text (`  <time>  INFO <target>: <message>, k: v`
// with ANSI colours, then `    at <file>:<line>` and a blank line), plus plain lines for what
// the node prints on stderr before logging starts (the config-fallback warning).
//
// Values the node logs with Rust's Debug format (`?round`, `?digest`) are strings in JSON and
// bare text in the pretty format, as are Display values (`%addr`); plain strings are quoted
// there. Name the Debug and Display fields in `debug_fields`.
//
// Example:
//   NodeLog log;
//   absl::Status s = log.Open("/tmp/sim/v1/node.log");
//   log.Info("guts_node::consensus", "finalized block", {{"height", 42}});
//
// Thread-compatible. Each line is flushed at once: agents tail the file.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sim/sim_options.h"

namespace guts::sim {

class NodeLog {
 public:
  NodeLog() = default;
  ~NodeLog();
  NodeLog(const NodeLog&) = delete;
  NodeLog& operator=(const NodeLog&) = delete;

  // Opens `path` for appending (creating it). INTERNAL when it cannot be opened.
  absl::Status Open(const std::string& path);
  void Close();

  // Writes one JSON line. `fields` must be an object; "message" is added to it.
  void Write(const char* level, const std::string& target, const std::string& message,
             nlohmann::json fields, const char* filename, int line,
             std::initializer_list<const char*> debug_fields = {});
  void Info(const std::string& target, const std::string& message, nlohmann::json fields = {});
  void Warn(const std::string& target, const std::string& message, nlohmann::json fields = {});

  // Writes `text` as is, plus a newline (what the node prints on plain stderr).
  void Plain(const std::string& text);

  // Shifts this node's timestamps (a skewed host clock).
  void set_clock_offset(absl::Duration offset) { clock_offset_ = offset; }
  void set_format(LogFormat format) { format_ = format; }

 private:
  std::FILE* file_ = nullptr;
  absl::Duration clock_offset_;
  LogFormat format_ = LogFormat::kJson;
};

}  // namespace guts::sim
