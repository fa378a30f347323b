// CLOCK_SKEW: the agent's clock (Snapshot.taken) far from the collector's receive time. The
// smallest offset of the last few snapshots is used, so transport delays and replayed spool
// snapshots (old taken time, fresh receive time) do not look like skew. Nothing else uses the
// agent's clock, so a skewed node raises this note and nothing more.
#include "absl/strings/str_cat.h"
#include "collector/analysis/detector.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

void DetectClockSkew(const DetectorInput& in, std::vector<Verdict>& out) {
  for (const NodeFacts& f : in.model.nodes) {
    // The offset of smallest magnitude over the last ArrivalWindow::kOffsets samples.
    const absl::Duration skew = f.clock_offset;
    if (!f.reporting || skew == absl::InfiniteDuration()) continue;
    if (absl::AbsDuration(skew) <= in.config.clock_skew_threshold) continue;
    Verdict v;
    v.kind = v1::CLOCK_SKEW;
    v.severity = v1::P3;
    v.nodes = {*f.id};
    v.cause_key = absl::StrCat("CLOCK_SKEW:", *f.id);
    v.summary =
        absl::StrCat(*f.id, "'s clock is ", Seconds(absl::AbsDuration(skew)),
                     skew > absl::ZeroDuration() ? " ahead of" : " behind", " the collector's");
    v.evidence["offset"] = Seconds(skew);
    v.evidence["threshold"] = Seconds(in.config.clock_skew_threshold);
    out.push_back(std::move(v));
  }
}

}  // namespace guts::collector
