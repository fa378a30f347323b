// The list of detectors, and the registry of incident kinds built from their declarations.
#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "collector/analysis/detector.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

// The detectors, in the order they run: one line each, naming the `const Detector` its
// <name>_detector.cc defines.
// clang-format off
#define GUTS_EACH_DETECTOR(DETECTOR) \
  DETECTOR(kPartitionDetector) \
  DETECTOR(kOneWayDetector) \
  DETECTOR(kLivenessDetector) \
  DETECTOR(kConsensusDetector) \
  DETECTOR(kForkDetector) \
  DETECTOR(kFleetPeerLossDetector) \
  DETECTOR(kFlappingLinkDetector) \
  DETECTOR(kClockSkewDetector) \
  DETECTOR(kRunbookThresholdsDetector) \
  DETECTOR(kValidatorSetDriftDetector) \
  DETECTOR(kConsensusEngineDetector) \
  /* new detectors go above this line */
// clang-format on

#define GUTS_DECLARE_DETECTOR(name) extern const Detector name;
GUTS_EACH_DETECTOR(GUTS_DECLARE_DETECTOR)
#undef GUTS_DECLARE_DETECTOR

namespace {

#define GUTS_ADDRESS_OF_DETECTOR(name) &name,
constexpr const Detector* kDetectors[] = {GUTS_EACH_DETECTOR(GUTS_ADDRESS_OF_DETECTOR)};
#undef GUTS_ADDRESS_OF_DETECTOR

struct KindRegistry {
  std::vector<const IncidentKindSpec*> all;
  absl::flat_hash_map<std::string_view, const IncidentKindSpec*> by_name;
  absl::flat_hash_map<int, const IncidentKindSpec*> by_wire_kind;
};

const KindRegistry& Kinds() {
  static const KindRegistry* registry = [] {
    auto* r = new KindRegistry;
    for (const Detector* d : kDetectors) {
      for (const IncidentKindSpec* kind : d->kinds) {
        // A name declared twice keeps its first spec; the registry test fails on it.
        if (!r->by_name.emplace(kind->name, kind).second) continue;
        r->all.push_back(kind);
        if (kind->wire_kind != v1::INCIDENT_KIND_UNSPECIFIED) {
          r->by_wire_kind.emplace(kind->wire_kind, kind);
        }
      }
    }
    return r;
  }();
  return *registry;
}

}  // namespace

std::span<const Detector* const> AllDetectors() { return kDetectors; }

std::vector<std::unique_ptr<DetectorState>> MakeDetectorStates() {
  std::vector<std::unique_ptr<DetectorState>> states;
  for (const Detector* d : kDetectors) {
    states.push_back(d->make_state != nullptr ? d->make_state() : nullptr);
  }
  return states;
}

absl::Duration WindowOf(const AnalysisConfig& config, const DetectorWindow& window) {
  auto it = config.detector_windows.find(window.name);
  return it == config.detector_windows.end() ? window.default_value : it->second;
}

double NumberOf(const AnalysisConfig& config, const DetectorNumber& number) {
  auto it = config.detector_numbers.find(number.name);
  return it == config.detector_numbers.end() ? number.default_value : it->second;
}

void ScaleDetectorWindows(AnalysisConfig& config, double factor) {
  for (const Detector* d : kDetectors) {
    for (const DetectorWindow* w : d->own_windows) {
      config.detector_windows[std::string(w->name)] = WindowOf(config, *w) * factor;
    }
  }
}

std::span<const IncidentKindSpec* const> AllIncidentKinds() { return Kinds().all; }

const IncidentKindSpec* FindIncidentKind(std::string_view name) {
  auto it = Kinds().by_name.find(name);
  return it == Kinds().by_name.end() ? nullptr : it->second;
}

const IncidentKindSpec* FindIncidentKind(v1::IncidentKind kind) {
  auto it = Kinds().by_wire_kind.find(kind);
  return it == Kinds().by_wire_kind.end() ? nullptr : it->second;
}

Verdict MakeVerdict(const IncidentKindSpec& kind, std::string_view subject) {
  Verdict v;
  v.kind = kind.wire_kind;
  v.kind_name = kind.name;
  v.severity = kind.severity;
  v.enter_ticks = kind.enter_ticks;
  const std::string_view cause = kind.cause_name.empty() ? kind.name : kind.cause_name;
  v.cause_key = std::string(cause);
  if (!subject.empty()) {
    v.cause_key += ':';
    v.cause_key.append(subject);
  }
  return v;
}

bool IsDown(const FleetModel& model, int node) {
  const NodeFacts& f = model.nodes[node];
  return f.has_snapshot && (f.silent || f.process_down || f.stream_closed) && f.heard_by == 0;
}

}  // namespace guts::collector
