// Detector: one kind of fault, as a pure function of (view, derived model and graph, the short
// history, config) -> verdicts, together with the kinds of incident it raises and the windows
// it reads. Adding a detector is writing one file `<name>_detector.cc` (CMake picks it up) that
// defines a `const Detector`, plus one line in the list in detectors.cc; its test is
// tests/analysis/<name>_detector_test.cc. docs/architecture.md has the recipe.
//
// Example (the file of a detector raising one kind):
//   constexpr IncidentKindSpec kClockSkew{.name = "CLOCK_SKEW", .runbook = &kClockSkewRunbook};
//   constexpr const IncidentKindSpec* kKinds[] = {&kClockSkew};
//   constexpr ConfigWindow kWindows[] = {&AnalysisConfig::fork_window};
//   void Detect(const DetectorInput& in, std::vector<Verdict>& out) {
//     Verdict v = MakeVerdict(kClockSkew, node);  // cause key "CLOCK_SKEW:<node>"
//     ...
//   }
//   extern const Detector kClockSkewDetector;  // listed in detectors.cc
//   const Detector kClockSkewDetector{.name = "clock_skew", .run = Detect, .kinds = kKinds};
//
// The analyzer runs them:
//   for (const Detector* d : AllDetectors()) d->run(input, verdicts);
#pragma once

#include <span>
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

struct DetectorInput {
  const FleetView& view;
  const FleetModel& model;
  const PeerGraph& graph;
  // The tick's quorum margin, computed once (fleet status shows it too).
  const QuorumMargin& margin;
  const AnalysisHistory& history;
  const AnalysisConfig& config;
};

// A window or age in AnalysisConfig that a detector reads, e.g. &AnalysisConfig::fork_window.
using ConfigWindow = absl::Duration AnalysisConfig::*;

struct Detector {
  std::string_view name;
  void (*run)(const DetectorInput& input, std::vector<Verdict>& out);
  // Every kind `run` may emit (the registry test runs each detector's kinds against the enum).
  std::span<const IncidentKindSpec* const> kinds;
  // The windows it reads: ScaleWindows (analyzer.h) multiplies each one, once however many
  // detectors list it.
  std::span<const ConfigWindow> windows = {};
};

// Every detector, in the order they run (the list in detectors.cc). Static storage.
std::span<const Detector* const> AllDetectors();

// A verdict of `kind` at the kind's declared severity, keyed "<cause name>:<subject>", or just
// the cause name when `subject` is empty (a cause of the whole fleet). The cause name is the
// kind's name unless it declares another (IncidentKindSpec::cause_name).
Verdict MakeVerdict(const IncidentKindSpec& kind, std::string_view subject = {});

// Silent to the collector (or its node process gone) and no reporting peer hears it.
bool IsDown(const FleetModel& model, int node);

}  // namespace guts::collector
