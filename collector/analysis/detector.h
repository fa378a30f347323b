// Detector: one kind of fault, as a pure function of (view, derived model and graph, the short
// history, its own memory, config) -> verdicts, together with the kinds of incident it raises,
// the windows and numbers it reads and the memory it keeps between ticks. Adding a detector is
// writing one file `<name>_detector.cc` (CMake picks it up) that defines a `const Detector`,
// plus one line in the list in detectors.cc; its test is
// tests/analysis/<name>_detector_test.cc. docs/architecture.md has the recipe.
//
// Example (the file of a detector raising one kind, with a window and a memory of its own):
//   constexpr IncidentKindSpec kClockSkew{.name = "CLOCK_SKEW", .runbook = &kClockSkewRunbook};
//   constexpr const IncidentKindSpec* kKinds[] = {&kClockSkew};
//   constexpr DetectorWindow kSkewHold{.name = "clock_skew_hold", .default_value =
//   absl::Seconds(30)}; constexpr const DetectorWindow* kOwnWindows[] = {&kSkewHold}; struct
//   SkewSeen final : DetectorState {  // what it remembers between ticks
//     void Update(const DetectorInput& in) override { ... }
//   };
//   void Detect(const DetectorInput& in, std::vector<Verdict>& out) {
//     const SkewSeen& seen = StateOf<SkewSeen>(in);
//     absl::Duration hold = WindowOf(in.config, kSkewHold);  // scaled, or overridden
//     Verdict v = MakeVerdict(kClockSkew, node);  // cause key "CLOCK_SKEW:<node>"
//     ...
//   }
//   extern const Detector kClockSkewDetector;  // listed in detectors.cc
//   const Detector kClockSkewDetector{.name = "clock_skew", .run = Detect, .kinds = kKinds,
//                                     .own_windows = kOwnWindows,
//                                     .make_state = MakeState<SkewSeen>};
//
// The analyzer runs them (each with its own state), then updates the states:
//   for (i ...) AllDetectors()[i]->run(input with states[i], verdicts);
//   ... UpdateHistory(...); for (i ...) states[i]->Update(input with states[i]);
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collector/analysis/analysis_history.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/fleet_model.h"
#include "collector/analysis/incident_kind.h"
#include "collector/analysis/peer_graph.h"
#include "collector/analysis/quorum_margin.h"
#include "collector/analysis/verdict.h"
#include "collector/analysis/verdict_parts.h"

namespace guts::collector {

class DetectorState;

struct DetectorInput {
  const FleetView& view;
  const FleetModel& model;
  const PeerGraph& graph;
  // The tick's quorum margin, computed once (fleet status shows it too).
  const QuorumMargin& margin;
  const AnalysisHistory& history;
  const AnalysisConfig& config;
  // The running detector's own memory (Detector::make_state); null when it keeps none.
  const DetectorState* state = nullptr;
};

// What one detector remembers between ticks (a link's transitions, the block ids seen at a
// height), declared in its own file instead of in AnalysisHistory. The analyzer owns one per
// detector that declares `make_state`, and calls Update once a tick, after every detector ran
// and AnalysisHistory was updated (so `in.history` is this tick's: node numbers, names,
// unsettled nodes). Not thread-safe; used from the analyzer's thread.
class DetectorState {
 public:
  virtual ~DetectorState() = default;
  virtual void Update(const DetectorInput& in) = 0;
};

// For Detector::make_state: `.make_state = MakeState<LinkFlaps>`.
template <typename S>
std::unique_ptr<DetectorState> MakeState() {
  return std::make_unique<S>();
}

// The running detector's state as the type its make_state makes.
// REQUIRES: the detector declares `.make_state = MakeState<S>`.
template <typename S>
const S& StateOf(const DetectorInput& in) {
  return static_cast<const S&>(*in.state);
}

// A window or age in AnalysisConfig that a detector reads, e.g. &AnalysisConfig::lag_window.
// (Windows the analyzer itself reads live in AnalysisConfig; a detector's own windows are
// DetectorWindows, declared in its file.)
using ConfigWindow = absl::Duration AnalysisConfig::*;

// A window a detector declares in its own file, with its default. ScaleWindows multiplies it
// like the AnalysisConfig windows; AnalysisConfig::detector_windows overrides it by name.
// Names are unique over all detectors (the registry test checks).
struct DetectorWindow {
  std::string_view name;
  absl::Duration default_value;
};

// A count or ratio a detector declares in its own file, with its default; never scaled.
// AnalysisConfig::detector_numbers overrides it by name.
struct DetectorNumber {
  std::string_view name;
  double default_value = 0;
};

// The window's value in `config`: its override (scaled by ScaleWindows), else its default.
absl::Duration WindowOf(const AnalysisConfig& config, const DetectorWindow& window);
// The number's value in `config`: its override, else its default.
double NumberOf(const AnalysisConfig& config, const DetectorNumber& number);

struct Detector {
  std::string_view name;
  void (*run)(const DetectorInput& input, std::vector<Verdict>& out);
  // Every kind `run` may emit (the registry test runs each detector's kinds against the enum).
  std::span<const IncidentKindSpec* const> kinds;
  // The AnalysisConfig windows it reads: ScaleWindows (analyzer.h) multiplies each one, once
  // however many detectors list it.
  std::span<const ConfigWindow> windows = {};
  // The windows and numbers it declares itself (WindowOf, NumberOf).
  std::span<const DetectorWindow* const> own_windows = {};
  std::span<const DetectorNumber* const> own_numbers = {};
  // Its memory between ticks (DetectorState), made once per analyzer; null: it keeps none.
  std::unique_ptr<DetectorState> (*make_state)() = nullptr;
};

// Every detector, in the order they run (the list in detectors.cc). Static storage.
std::span<const Detector* const> AllDetectors();

// A fresh state for each detector in AllDetectors(), in its order (null for those keeping none).
std::vector<std::unique_ptr<DetectorState>> MakeDetectorStates();

// Sets every window the detectors declare (DetectorWindow) in `config` to its value there
// (override or default) times `factor`. ScaleWindows calls it.
void ScaleDetectorWindows(AnalysisConfig& config, double factor);

// A verdict of `kind` at the kind's declared severity, keyed "<cause name>:<subject>", or just
// the cause name when `subject` is empty (a cause of the whole fleet). The cause name is the
// kind's name unless it declares another (IncidentKindSpec::cause_name).
Verdict MakeVerdict(const IncidentKindSpec& kind, std::string_view subject = {});

// Silent to the collector (or its node process gone, or its agent's stream closed since its
// last snapshot) and no reporting peer hears it.
bool IsDown(const FleetModel& model, int node);

}  // namespace guts::collector
