#include "collector/analysis/finality_throughput.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/analysis/incident_kind.h"

namespace guts::collector {

void FinalityThroughput::Record(absl::Time now, uint64_t height, const AnalysisConfig& config) {
  if (!samples_.empty() && samples_.back().first >= now) return;
  // Heights never go back; a node restarting from an older height must not look like a burst.
  if (!samples_.empty()) height = std::max(height, samples_.back().second);
  samples_.emplace_back(now, height);
  absl::Duration keep = config.throughput_baseline_window + config.progress_stall;
  while (samples_.size() > 2 && now - samples_[1].first > keep) samples_.pop_front();
}

std::optional<uint64_t> FinalityThroughput::HeightAt(absl::Time t) const {
  std::optional<uint64_t> found;
  for (const auto& [at, height] : samples_) {
    if (at > t) break;
    found = height;
  }
  return found;
}

bool FinalityThroughput::Collapsed(absl::Time now, bool present, const AnalysisConfig& config) {
  if (!present) {
    fault_since_.reset();
    baseline_.reset();
    return false;
  }
  if (!fault_since_) {
    fault_since_ = now;
    const absl::Duration window = config.throughput_baseline_window;
    std::optional<uint64_t> start;
    absl::Time start_at;
    for (const auto& [at, height] : samples_) {
      if (at >= now - window) {
        start = height;
        start_at = at;
        break;
      }
    }
    std::optional<uint64_t> end = HeightAt(now);
    if (start && end && now - start_at >= window / 2) {
      baseline_ = static_cast<double>(*end - *start) / absl::ToDoubleSeconds(now - start_at);
    }
  }
  // The current rate is measured since the fault began (at most a baseline window back): a
  // block every 12 s is 0.08 blocks/s, which a 15 s window alone sees as one or two blocks.
  const absl::Duration hold = config.progress_stall;
  const absl::Duration since = std::min(now - *fault_since_, config.throughput_baseline_window);
  std::optional<uint64_t> then = HeightAt(now - since);
  std::optional<uint64_t> latest = HeightAt(now);
  if (!then || !latest || since <= absl::ZeroDuration()) return false;
  current_ = static_cast<double>(*latest - *then) / absl::ToDoubleSeconds(since);
  if (!baseline_ || *baseline_ <= 0 || since < hold) return false;
  return current_ < config.throughput_collapse_ratio * *baseline_;
}

void RaiseOnThroughputCollapse(absl::Time now, const AnalysisConfig& config,
                               FinalityThroughput& throughput, std::vector<Verdict>& verdicts) {
  Verdict* partial = nullptr;
  for (Verdict& v : verdicts) {
    const IncidentKindSpec* kind = FindIncidentKind(KindNameOf(v));
    if (kind != nullptr && kind->p1_on_throughput_collapse) partial = &v;
  }
  bool collapsed = throughput.Collapsed(now, partial != nullptr, config);
  if (partial == nullptr || !throughput.baseline()) return;
  std::string rates = absl::StrFormat("%.2f blocks/s since the partition began, %.2f before",
                                      throughput.current(), *throughput.baseline());
  partial->evidence["finality throughput"] = rates;
  if (!collapsed || partial->severity == ::guts::diag::v1::P1) return;
  partial->severity = ::guts::diag::v1::P1;
  absl::StrAppend(&partial->summary, "; finality collapsed to ",
                  absl::StrFormat("%.0f %%", 100 * throughput.current() / *throughput.baseline()),
                  " of its rate before");
}

}  // namespace guts::collector
