#include "agent/source_runner.h"

#include <pthread.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"

namespace guts::agent {

// One source and its thread. `mu` guards the fields below it; the source thread waits for
// `generation` to move, runs Collect outside the lock, then publishes the result.
struct SourceRunner::Slot {
  std::unique_ptr<Source> source;
  std::thread thread;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  uint64_t generation = 0;  // bumped by RunAll to start a run
  bool busy = false;
  absl::Time deadline;
  absl::Time started;
  // Result of the last finished run.
  uint64_t done_generation = 0;
  v1::Snapshot part;
  absl::Status status;
  absl::Duration took;

  void Loop() {
    // Named after the source ("src:node_api"), so that per-thread CPU (top -H, perf,
    // /proc/<pid>/task/*/comm) says which source it went to; the kernel keeps 15 characters.
    std::string thread_name = "src:" + std::string(source->name());
    pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping) return;
      seen = generation;
      absl::Time run_deadline = deadline;
      lock.unlock();
      v1::Snapshot fresh;
      absl::Time begin = absl::Now();
      absl::Status result = source->Collect(run_deadline, fresh);
      absl::Duration elapsed = absl::Now() - begin;
      lock.lock();
      part = std::move(fresh);
      status = std::move(result);
      took = elapsed;
      done_generation = seen;
      busy = false;
      cv.notify_all();
    }
  }
};

SourceRunner::SourceRunner(std::vector<std::unique_ptr<Source>> sources) {
  for (auto& source : sources) {
    auto slot = std::make_unique<Slot>();
    slot->source = std::move(source);
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) slot->thread = std::thread([s = slot.get()] { s->Loop(); });
}

SourceRunner::~SourceRunner() {
  for (auto& slot : slots_) {
    std::lock_guard<std::mutex> lock(slot->mu);
    slot->stopping = true;
    slot->cv.notify_all();
  }
  for (auto& slot : slots_) slot->thread.join();
}

std::vector<SourceRun> SourceRunner::RunAll(absl::Time deadline, v1::Snapshot& snapshot) {
  const absl::Time start = absl::Now();
  std::vector<uint64_t> started(slots_.size(), 0);  // generation started, 0 = still hanging
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    std::lock_guard<std::mutex> lock(slot.mu);
    if (slot.busy) continue;
    slot.busy = true;
    slot.deadline = deadline;
    slot.started = start;
    started[i] = ++slot.generation;
    slot.cv.notify_all();
  }

  std::vector<SourceRun> runs;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    std::unique_lock<std::mutex> lock(slot.mu);
    bool finished = started[i] != 0 && slot.cv.wait_until(lock, absl::ToChronoTime(deadline), [&] {
      return slot.done_generation == started[i];
    });
    SourceRun run{.name = std::string(slot.source->name())};
    if (finished) {
      run.duration = slot.took;
      run.ok = slot.status.ok();
      snapshot.MergeFrom(slot.part);
      slot.part.Clear();
      if (!slot.status.ok()) {
        v1::SourceError* error = snapshot.add_source_errors();
        error->set_source(run.name);
        error->set_message(std::string(slot.status.message()));
        error->set_duration_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(slot.took)));
      }
    } else {
      run.duration = absl::Now() - slot.started;
      run.ok = false;
      v1::SourceError* error = snapshot.add_source_errors();
      error->set_source(run.name);
      error->set_timed_out(true);
      error->set_duration_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(run.duration)));
      error->set_message(
          started[i] == 0
              ? absl::StrCat("still running after ", absl::FormatDuration(run.duration),
                             " (started in an earlier interval)")
              : absl::StrCat("cut off at its deadline after ", absl::FormatDuration(run.duration)));
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace guts::agent
