#include "collector/bundles/archive_check_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace guts::collector {

ArchiveCheckQueue::ArchiveCheckQueue(ArchiveCheckLimits limits) : limits_(limits) {
  const uint32_t n = std::max<uint32_t>(1, limits_.checks);
  threads_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) threads_.emplace_back([this] { Work(); });
}

ArchiveCheckQueue::~ArchiveCheckQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

absl::Status ArchiveCheckQueue::Submit(std::function<void()> check) {
  absl::MutexLock lock(&mu_);
  if (waiting_.size() >= limits_.max_waiting) {
    const std::string refusal =
        absl::StrCat(running_, " bundle archives are being checked and ", waiting_.size(),
                     " wait (--archive-checks ", limits_.checks, ", --max-waiting-archive-checks ",
                     limits_.max_waiting, "); retry the upload later");
    spdlog::warn("upload refused: {}", refusal);
    return absl::ResourceExhaustedError(refusal);
  }
  waiting_.push_back(std::move(check));
  return absl::OkStatus();
}

uint32_t ArchiveCheckQueue::Running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

uint32_t ArchiveCheckQueue::Waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<uint32_t>(waiting_.size());
}

void ArchiveCheckQueue::Work() {
  for (;;) {
    std::function<void()> check;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !waiting_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&has_work));
      // What still waits runs before the threads end: each is an upload that must finish.
      if (waiting_.empty()) return;
      check = std::move(waiting_.front());
      waiting_.pop_front();
      ++running_;
    }
    check();
    absl::MutexLock lock(&mu_);
    --running_;
  }
}

}  // namespace guts::collector
