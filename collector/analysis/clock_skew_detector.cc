// CLOCK_SKEW: the agent's clock (Snapshot.taken) far from the collector's receive time. The
// smallest offset of the last few snapshots is used, so transport delays and replayed spool
// snapshots (old taken time, fresh receive time) do not look like skew. Nothing else uses the
// agent's clock, so a skewed node raises this note and nothing more.
#include "absl/strings/str_cat.h"
#include "collector/analysis/detector.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr std::string_view kClockSkewSteps[] = {
    "timedatectl / chronyc tracking on the node's host",
    "fix NTP; the analysis does not trust agent clocks"};
constexpr RunbookSpec kClockSkewRunbook{.name = "clock-skew", .steps = kClockSkewSteps};
// Its threshold (clock_skew_threshold) is an offset between two clocks, not a window: a
// compressed run skews clocks by as much as a real one, so it declares no windows.
constexpr IncidentKindSpec kClockSkew{.name = "CLOCK_SKEW",
                                      .wire_kind = v1::CLOCK_SKEW,
                                      .severity = v1::P3,
                                      .runbook = &kClockSkewRunbook};
constexpr const IncidentKindSpec* kKinds[] = {&kClockSkew};

void DetectClockSkew(const DetectorInput& in, std::vector<Verdict>& out) {
  for (const NodeFacts& f : in.model.nodes) {
    // The offset of smallest magnitude over the last ArrivalWindow::kOffsets samples.
    const absl::Duration skew = f.clock_offset;
    if (!f.reporting || skew == absl::InfiniteDuration()) continue;
    if (absl::AbsDuration(skew) <= in.config.clock_skew_threshold) continue;
    Verdict v = MakeVerdict(kClockSkew, *f.id);
    v.nodes = {*f.id};
    v.summary =
        absl::StrCat(*f.id, "'s clock is ", SecondsText(absl::AbsDuration(skew)),
                     skew > absl::ZeroDuration() ? " ahead of" : " behind", " the collector's");
    v.evidence["offset"] = SecondsText(skew);
    v.evidence["threshold"] = SecondsText(in.config.clock_skew_threshold);
    out.push_back(std::move(v));
  }
}

}  // namespace

extern const Detector kClockSkewDetector;
const Detector kClockSkewDetector{.name = "clock_skew", .run = DetectClockSkew, .kinds = kKinds};

}  // namespace guts::collector
