#include "collector/query/query_admission.h"

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace guts::collector {

QueryAdmission::Slot::~Slot() {
  if (admission_ != nullptr) admission_->Release(caller_);
}

absl::StatusOr<QueryAdmission::Slot> QueryAdmission::Admit(const std::string& caller,
                                                           absl::string_view query) {
  absl::MutexLock lock(&mu_);
  std::string refusal;
  uint32_t& mine = by_caller_[caller];
  if (limits_.max_total > 0 && running_ >= limits_.max_total) {
    refusal =
        absl::StrCat(query, " refused: the collector already runs ", running_, " ", limits_.what,
                     " at once (", limits_.total_flag, " ", limits_.max_total, "); retry later");
  } else if (limits_.max_per_caller > 0 && mine >= limits_.max_per_caller) {
    refusal = absl::StrCat(query, " refused: ", caller.substr(0, 128), " already runs ", mine, " ",
                           limits_.what, " at once (", limits_.per_caller_flag, " ",
                           limits_.max_per_caller, "); retry later");
  }
  if (!refusal.empty()) {
    if (mine == 0) by_caller_.erase(caller);
    ++refused_since_warning_;
    const absl::Time now = absl::Now();
    if (now - warned_at_ >= absl::Seconds(10)) {
      spdlog::warn("{} ({} {} refused since the last warning)", refusal, refused_since_warning_,
                   limits_.what);
      warned_at_ = now;
      refused_since_warning_ = 0;
    }
    return absl::ResourceExhaustedError(refusal);
  }
  ++mine;
  ++running_;
  return Slot(this, caller);
}

uint32_t QueryAdmission::Running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

void QueryAdmission::Release(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  --running_;
  auto it = by_caller_.find(caller);
  if (it != by_caller_.end() && --it->second == 0) by_caller_.erase(it);
}

}  // namespace guts::collector
