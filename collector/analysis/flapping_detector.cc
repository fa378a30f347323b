// FLAPPING_LINK: a link (either side hearing the other) going up and down repeatedly within
// the flap window while both its nodes stay up. A node going down, silent or restarting takes
// its links with it; AnalysisHistory does not count those changes (S21 rolling restarts are not
// flapping links). One incident per pair; it clears once the link has been steady for
// flap_quiet.
#include "absl/strings/str_cat.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/runbook.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr std::string_view kFlappingAbsorbs[] = {"ONE_WAY_LINK"};
constexpr IncidentKindSpec kFlappingLink{.name = "FLAPPING_LINK",
                                         .wire_kind = v1::FLAPPING_LINK,
                                         .severity = v1::P3,
                                         .runbook = &kNetworkPartitionRunbook,
                                         .absorbs = kFlappingAbsorbs,
                                         .fold_rank = 140};
constexpr const IncidentKindSpec* kKinds[] = {&kFlappingLink};
constexpr ConfigWindow kWindows[] = {&AnalysisConfig::flap_window, &AnalysisConfig::flap_quiet};

void DetectFlappingLinks(const DetectorInput& in, std::vector<Verdict>& out) {
  const AnalysisHistory& h = in.history;
  for (const auto& [key, link] : h.links) {
    if (static_cast<int>(link.transitions.size()) < in.config.flap_min_transitions) continue;
    if (in.model.now - link.transitions.back() > in.config.flap_quiet) continue;
    std::string a = h.names[static_cast<uint32_t>(key >> 32)];
    std::string b = h.names[static_cast<uint32_t>(key)];
    if (b < a) std::swap(a, b);
    Verdict v = MakeVerdict(kFlappingLink, absl::StrCat(a, "-", b));
    v.nodes = {a, b};
    v1::Link& l = v.links.emplace_back();
    l.set_from(a);
    l.set_to(b);
    v.summary =
        absl::StrCat("link ", a, "-", b, " changed state ", link.transitions.size(), " times in ",
                     SecondsText(in.config.flap_window), "; now ", link.up ? "up" : "down");
    v.evidence["transitions"] = absl::StrCat(link.transitions.size());
    v.evidence["window"] = SecondsText(in.config.flap_window);
    v.evidence["last change"] =
        absl::StrCat(SecondsText(in.model.now - link.transitions.back()), " ago");
    out.push_back(std::move(v));
  }
}

}  // namespace

extern const Detector kFlappingLinkDetector;
const Detector kFlappingLinkDetector{
    .name = "flapping_link", .run = DetectFlappingLinks, .kinds = kKinds, .windows = kWindows};

}  // namespace guts::collector
