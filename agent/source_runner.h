// Runs every source once per snapshot, each on its own long-lived thread, and waits for them
// only until a deadline. A source still running at the deadline is reported as timed out
// (SourceError.timed_out) and, while it keeps hanging, is not started again: the thread count
// stays fixed at one per source whatever the sources do.
//
// Example:
//   std::vector<std::unique_ptr<Source>> sources = ...;
//   SourceRunner runner(std::move(sources));
//   v1::Snapshot snapshot;
//   std::vector<SourceRun> runs = runner.RunAll(absl::Now() + absl::Milliseconds(800), snapshot);
//
// Thread-safety: RunAll must be called from one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/source.h"

namespace guts::agent {

// What happened to one source in one RunAll.
struct SourceRun {
  std::string name;
  absl::Duration duration;
  bool ok = true;
};

class SourceRunner {
 public:
  explicit SourceRunner(std::vector<std::unique_ptr<Source>> sources);
  // Joins the source threads. Note: waits for a hanging source to return.
  ~SourceRunner();
  SourceRunner(const SourceRunner&) = delete;
  SourceRunner& operator=(const SourceRunner&) = delete;

  // Starts every idle source, waits until all have finished or `deadline` passed, merges the
  // finished ones into `snapshot` and appends a SourceError for each failed or cut-off source.
  // Returns one SourceRun per source, in registration order.
  std::vector<SourceRun> RunAll(absl::Time deadline, v1::Snapshot& snapshot);

 private:
  struct Run;
  struct Slot;
  std::unique_ptr<Run> run_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace guts::agent
