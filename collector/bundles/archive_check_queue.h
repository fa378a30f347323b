// ArchiveCheckQueue: where the checks of finished uploads (CheckUploadedArchive, seconds for a
// big archive) run: a fixed number of threads of its own, never gRPC's callback threads, and a
// bounded line of checks waiting for one. A check that finds the line full is refused at once
// (RESOURCE_EXHAUSTED; the agent keeps its archive and retries the upload after a back-off),
// so a burst of uploads costs neither unbounded threads nor unbounded memory.
//
// Example:
//   ArchiveCheckQueue checks({.checks = 2, .max_waiting = 8});
//   absl::Status queued = checks.Submit([reactor] { reactor->Accept(); });
//   if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
//
// Thread-safe. The destructor runs what is still waiting, then joins its threads.
#ifndef GUTS_COLLECTOR_BUNDLES_ARCHIVE_CHECK_QUEUE_H_
#define GUTS_COLLECTOR_BUNDLES_ARCHIVE_CHECK_QUEUE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace guts::collector {

struct ArchiveCheckLimits {
  // Checks running at once (threads); at least 1.
  uint32_t checks = 2;
  // Checks waiting for a thread; beyond, Submit refuses.
  uint32_t max_waiting = 8;
};

class ArchiveCheckQueue {
 public:
  explicit ArchiveCheckQueue(ArchiveCheckLimits limits);
  ~ArchiveCheckQueue();
  ArchiveCheckQueue(const ArchiveCheckQueue&) = delete;
  ArchiveCheckQueue& operator=(const ArchiveCheckQueue&) = delete;

  // Runs `check` on one of the queue's threads, now or once one is free. RESOURCE_EXHAUSTED
  // (naming the limits) when max_waiting checks already wait.
  absl::Status Submit(std::function<void()> check);

  // Checks running and waiting now (for tests).
  uint32_t Running() const;
  uint32_t Waiting() const;

 private:
  void Work();

  const ArchiveCheckLimits limits_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> waiting_ ABSL_GUARDED_BY(mu_);
  uint32_t running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_ARCHIVE_CHECK_QUEUE_H_
