#include "agent/sources/node_log_source.h"

#include "agent/journal_tail.h"
#include "agent/log_file_tail.h"
#include "agent/sources/registry.h"

namespace guts::agent {
namespace {
// Per snapshot; a burst beyond this is read in the following intervals.
constexpr size_t kMaxBytesPerCollect = 4 << 20;
}  // namespace

NodeLogSource::NodeLogSource(std::unique_ptr<LogTail> tail) : tail_(std::move(tail)) {}

absl::Status NodeLogSource::Collect(absl::Time, v1::Snapshot& part) {
  absl::StatusOr<std::vector<std::string>> lines = tail_->ReadLines(kMaxBytesPerCollect);
  absl::Time now = absl::Now();
  if (lines.ok()) {
    for (const std::string& line : *lines) facts_.Observe(line, now);
  }
  facts_.Fill(now, *part.mutable_log());
  return lines.status();
}

GUTS_REGISTER_SOURCE(node_log, 50, [](const SourceContext& context) -> std::unique_ptr<Source> {
  if (!context.config.node_log_file.empty()) {
    return std::make_unique<NodeLogSource>(
        std::make_unique<LogFileTail>(context.config.node_log_file));
  }
  if (!context.config.journal_unit.empty()) {
    return std::make_unique<NodeLogSource>(
        std::make_unique<JournalTail>(context.config.journal_unit));
  }
  return nullptr;
});

}  // namespace guts::agent
