#include "agent/source_runner.h"

#include <pthread.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"

namespace guts::agent {

// What RunAll waits on: how many of the sources it started are still running. One wait for
// all of them, woken by the last to finish, rather than one wait per source: a sleep and a
// wake-up of the snapshot thread per source each snapshot was a measurable part of an idle
// agent's CPU (issue 21).
struct SourceRunner::Run {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t id = 0;     // bumped by each RunAll
  size_t pending = 0;  // sources of run `id` not finished yet
};

// One source and its thread. `mu` guards the fields below it; the source thread waits for
// `generation` to move, runs Collect outside the lock, then publishes the result.
struct SourceRunner::Slot {
  std::unique_ptr<Source> source;
  std::thread thread;
  Run* run = nullptr;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  uint64_t generation = 0;  // bumped by RunAll to start a run
  bool busy = false;
  absl::Time deadline;
  absl::Time started;
  uint64_t run_id = 0;  // the RunAll that started the current generation
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
      const uint64_t my_run = run_id;
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
      lock.unlock();
      {
        // Counted only in the run that started it: one that hung past its run's deadline
        // finishes unnoticed by the next.
        std::lock_guard<std::mutex> run_lock(run->mu);
        if (run->id == my_run && run->pending > 0 && --run->pending == 0) run->cv.notify_all();
      }
      lock.lock();
    }
  }
};

SourceRunner::SourceRunner(std::vector<std::unique_ptr<Source>> sources)
    : run_(std::make_unique<Run>()) {
  for (auto& source : sources) {
    auto slot = std::make_unique<Slot>();
    slot->source = std::move(source);
    slot->run = run_.get();
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
  {
    // Held while the sources start: one that finishes at once waits for the count to be
    // complete before it takes itself off it.
    std::unique_lock<std::mutex> run_lock(run_->mu);
    const uint64_t run_id = ++run_->id;
    run_->pending = 0;
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = *slots_[i];
      std::lock_guard<std::mutex> lock(slot.mu);
      if (slot.busy) continue;
      slot.busy = true;
      slot.deadline = deadline;
      slot.started = start;
      slot.run_id = run_id;
      started[i] = ++slot.generation;
      ++run_->pending;
      slot.cv.notify_all();
    }
    run_->cv.wait_until(run_lock, absl::ToChronoTime(deadline), [&] { return run_->pending == 0; });
  }

  std::vector<SourceRun> runs;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    std::unique_lock<std::mutex> lock(slot.mu);
    // Finished or not, decided now (the deadline passed or every started source is done).
    bool finished = started[i] != 0 && slot.done_generation == started[i];
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
