// The `node_log` source: reads the lines the node logged since the previous snapshot (from a
// followed file or the journal, see LogTail) and reports the LogFacts accumulated since the
// agent started.
//
// Errors: the tail's (file missing, journalctl not running); facts seen so far are still
// reported alongside the error.
//
// Example:
//   NodeLogSource log(std::make_unique<LogFileTail>("/var/log/guts/node.log"));
#pragma once

#include <memory>

#include "agent/log_facts.h"
#include "agent/log_tail.h"
#include "agent/source.h"

namespace guts::agent {

class NodeLogSource : public Source {
 public:
  explicit NodeLogSource(std::unique_ptr<LogTail> tail);

  std::string_view name() const override { return "node_log"; }
  absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override;

 private:
  std::unique_ptr<LogTail> tail_;
  LogFactsBuilder facts_;
};

}  // namespace guts::agent
