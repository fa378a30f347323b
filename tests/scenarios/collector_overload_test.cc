// S24, the collector overloaded (decoy): the collector's snapshot writer is starved of CPU (a
// cpu cgroup with 1 ms of CPU a second, shared with busy neighbours), so it writes
// fewer snapshots than the agents send and received snapshots wait in the ingest queue for many
// seconds and the nodes look silent from the store's side while they are
// fine. The collector must say it is degraded (COLLECTOR_DEGRADED, P2, within 15 s) and must not
// call the late nodes down; once the writer runs again everything clears.
//
// Runs at CompressedTimeScale() (0.1 on a machine that keeps up) like the soak suite; at real
// scale:
//   GUTS_SCENARIO_TIME_SCALE=1 ctest --test-dir build/<name> -R CollectorOverload
// Needs root and a cgroup cpu controller, v2 (cpu.max) or v1 (cpu.cfs_quota_us), see
// tests/support/thread_cpu_limit.h; without them the test fails saying so. Owns the loopback
// range 127.164.0.0.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/scenarios/scenario_runner.h"
#include "tests/support/thread_cpu_limit.h"

namespace guts::testing {
namespace {

// The collector's snapshot writer thread, by the name it gives itself. Sampled for a while,
// since the collector may still be starting.
absl::StatusOr<pid_t> WriterThread(pid_t collector) {
  std::string tasks = absl::StrCat("/proc/", collector, "/task");
  for (int sample = 0; sample < 100; ++sample) {
    DIR* dir = opendir(tasks.c_str());
    if (dir == nullptr) return absl::NotFoundError(absl::StrCat("no ", tasks));
    pid_t writer = 0;
    while (dirent* e = readdir(dir)) {
      int tid = 0;
      if (!absl::SimpleAtoi(e->d_name, &tid)) continue;
      std::ifstream comm(absl::StrCat(tasks, "/", tid, "/comm"));
      std::string name;
      std::getline(comm, name);
      if (name == "ingest:writer") writer = tid;
    }
    closedir(dir);
    if (writer != 0) return writer;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::NotFoundError("found no thread named ingest:writer in the collector");
}

// Puts one thread under a quota of 1 ms of CPU per second (ThreadCpuLimit: cgroup v2 cpu.max or
// v1 cpu.cfs_quota_us, whichever the host has), shared with three busy-looping neighbours, so the
// thread gets about a quarter of that; Stop (or the destructor) takes them out of the quota,
// ends the neighbours and removes the group. The host loses 1 ms a second.
class WriterStarvation {
 public:
  explicit WriterStarvation(pid_t collector) : collector_(collector) {}
  ~WriterStarvation() { Stop().IgnoreError(); }

  absl::Status Start() {
    absl::StatusOr<pid_t> tid = WriterThread(collector_);
    if (!tid.ok()) return tid.status();
    if (absl::Status s = limit_.Create(absl::Milliseconds(1), absl::Seconds(1)); !s.ok()) {
      return s;
    }
    std::cerr << "S24: starving the snapshot writer (thread " << *tid << ") through "
              << limit_.interface() << "\n";
    for (int i = 0; i < 3; ++i) {
      neighbours_.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{"/bin/sh", "-c", "while :; do :; done"}, "/dev/null"));
      pid_t pid = neighbours_.back()->pid();
      if (absl::Status s = limit_.AddThread(pid, pid); !s.ok()) return s;
    }
    return limit_.AddThread(collector_, *tid);
  }

  absl::Status Stop() {
    // Out of the quota first: a throttled process would take its time to die.
    absl::Status s = limit_.Release();
    neighbours_.clear();
    return s;
  }

 private:
  pid_t collector_;
  ThreadCpuLimit limit_;
  std::vector<std::unique_ptr<ChildProcess>> neighbours_;
};

TEST(CollectorOverload, S24LaggingIngestIsCollectorDegradedAndNoLateNodeIsDown) {
  std::unique_ptr<WriterStarvation> starvation;
  Scenario sc{.id = "S24",
              .kind = v1::COLLECTOR_DEGRADED,
              .severity = v1::P2,
              .detect_budget = absl::Seconds(15),
              // Late for long enough that a silence verdict would have opened many times over.
              .hold = absl::Seconds(30),
              .time_scale = CompressedTimeScale()};
  sc.inject = [&](Fleet& fleet) {
    starvation = std::make_unique<WriterStarvation>(fleet.collector_pid());
    return starvation->Start();
  };
  sc.heal = [&](Fleet&) { return starvation->Stop(); };
  RunScenario(sc, 164);
}

}  // namespace
}  // namespace guts::testing
