// The registry of detectors and incident kinds: every wire kind has a detector that declares it
// and a runbook, every declared kind is well formed, and the windows the detectors declare are
// scaled once each.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "collector/analysis/detector.h"
#include "collector/analysis/runbook.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

TEST(DetectorRegistryTest, EveryIncidentKindHasADetectorAndARunbook) {
  const google::protobuf::EnumDescriptor* kinds = v1::IncidentKind_descriptor();
  for (int i = 0; i < kinds->value_count(); ++i) {
    const auto kind = static_cast<v1::IncidentKind>(kinds->value(i)->number());
    if (kind == v1::INCIDENT_KIND_UNSPECIFIED) continue;
    const std::string& name = kinds->value(i)->name();
    const IncidentKindSpec* spec = FindIncidentKind(kind);
    ASSERT_NE(spec, nullptr) << name << ": no detector declares it";
    EXPECT_EQ(spec->name, name) << "its alert name and metric label would change";
    EXPECT_EQ(FindIncidentKind(name), spec) << name;
    const v1::Runbook runbook = RunbookFor(name);
    EXPECT_NE(runbook.name(), "none") << name;
    EXPECT_GT(runbook.steps_size(), 0) << name;
  }
}

TEST(DetectorRegistryTest, EveryDeclaredKindIsWellFormedAndDeclaredOnce) {
  std::set<std::string> names;
  std::set<int> ranks;
  for (const Detector* d : AllDetectors()) {
    EXPECT_FALSE(d->name.empty());
    EXPECT_NE(d->run, nullptr) << d->name;
    EXPECT_FALSE(d->kinds.empty()) << d->name << " declares no kind";
    for (const IncidentKindSpec* kind : d->kinds) {
      const std::string name(kind->name);
      EXPECT_TRUE(names.insert(name).second) << name << " declared twice";
      ASSERT_NE(kind->runbook, nullptr) << name;
      EXPECT_FALSE(kind->runbook->name.empty()) << name;
      EXPECT_FALSE(kind->runbook->steps.empty()) << name;
      EXPECT_NE(kind->severity, v1::SEVERITY_UNSPECIFIED) << name;
      if (kind->wire_kind != v1::INCIDENT_KIND_UNSPECIFIED) {
        EXPECT_EQ(v1::IncidentKind_Name(kind->wire_kind), name);
      }
      for (std::string_view absorbed : kind->absorbs) {
        EXPECT_NE(FindIncidentKind(absorbed), nullptr) << name << " absorbs unknown " << absorbed;
      }
      if (!kind->p1_when_absorbing.empty()) {
        EXPECT_NE(FindIncidentKind(kind->p1_when_absorbing), nullptr) << name;
      }
      // Causes fold in rank order; two causes of one rank would fold in registration order.
      if (!kind->absorbs.empty()) {
        EXPECT_TRUE(ranks.insert(kind->fold_rank).second) << name << " shares its fold_rank";
      }
    }
  }
  EXPECT_EQ(names.size(), AllIncidentKinds().size());
}

TEST(DetectorRegistryTest, MakeVerdictKeysTheCauseByTheKindsCauseName) {
  const IncidentKindSpec& down = *FindIncidentKind(v1::NODE_DOWN);
  Verdict v = MakeVerdict(down, "v4");
  EXPECT_EQ(v.cause_key, "NODE_DOWN:v4");
  EXPECT_EQ(v.kind, v1::NODE_DOWN);
  EXPECT_EQ(v.kind_name, "NODE_DOWN");
  EXPECT_EQ(v.severity, v1::P2);
  // A split with and without a quorum side is one cause.
  EXPECT_EQ(MakeVerdict(*FindIncidentKind(v1::PARTITION_NO_QUORUM)).cause_key, "PARTITION");
  EXPECT_EQ(MakeVerdict(*FindIncidentKind(v1::PARTITION)).cause_key, "PARTITION");
}

TEST(DetectorRegistryTest, ScaleWindowsScalesEveryDeclaredWindowOnce) {
  const AnalysisConfig real;
  const AnalysisConfig half = ScaleWindows(real, 0.5);
  for (const Detector* d : AllDetectors()) {
    for (ConfigWindow w : d->windows) EXPECT_EQ(half.*w, real.*w * 0.5) << d->name;
  }
  // The full list as it was kept by hand before the detectors declared their windows.
  for (ConfigWindow w :
       {&AnalysisConfig::tick, &AnalysisConfig::default_interval,
        &AnalysisConfig::peer_heard_within, &AnalysisConfig::stall_threshold,
        &AnalysisConfig::progress_stall, &AnalysisConfig::lag_window,
        &AnalysisConfig::not_syncing_after, &AnalysisConfig::flap_window,
        &AnalysisConfig::peer_baseline_window, &AnalysisConfig::corruption_window,
        &AnalysisConfig::reopen_cooldown, &AnalysisConfig::throughput_baseline_window}) {
    EXPECT_EQ(half.*w, real.*w * 0.5);
  }
  // The windows the fork and flapping detectors declare in their own files.
  for (const Detector* d : AllDetectors()) {
    for (const DetectorWindow* w : d->own_windows) {
      EXPECT_EQ(WindowOf(half, *w), w->default_value * 0.5) << w->name;
    }
  }
  EXPECT_EQ(half.detector_windows.at("fork_window"), absl::Seconds(5));
  EXPECT_EQ(half.detector_windows.at("flap_quiet"), absl::Seconds(10.5));
  EXPECT_EQ(half.clock_skew_threshold, real.clock_skew_threshold);
}

TEST(DetectorRegistryTest, DeclaredSettingsHaveUniqueNamesAndAnOverrideIsScaled) {
  std::set<std::string_view> names;
  for (const Detector* d : AllDetectors()) {
    for (const DetectorWindow* w : d->own_windows) {
      EXPECT_TRUE(names.insert(w->name).second) << "window declared twice: " << w->name;
      EXPECT_GT(w->default_value, absl::ZeroDuration()) << w->name;
    }
    for (const DetectorNumber* n : d->own_numbers) {
      EXPECT_TRUE(names.insert(n->name).second) << "number declared twice: " << n->name;
    }
  }
  EXPECT_TRUE(names.contains("fork_window"));
  EXPECT_TRUE(names.contains("flap_min_transitions"));
  AnalysisConfig c;
  c.detector_windows["fork_window"] = absl::Seconds(40);
  const AnalysisConfig tenth = ScaleWindows(c, 0.1);
  EXPECT_EQ(tenth.detector_windows.at("fork_window"), absl::Seconds(4));
  EXPECT_EQ(tenth.detector_windows.at("flap_quiet"), absl::Seconds(2.1));
}

// A detector that declares a state gets one of its own, and one that does not gets none. (The
// set is not pinned: a new detector with a state is one file and one line, not an edit here.)
TEST(DetectorRegistryTest, EveryDetectorThatDeclaresAStateGetsOneOfItsOwn) {
  std::vector<std::unique_ptr<DetectorState>> states = MakeDetectorStates();
  ASSERT_EQ(states.size(), AllDetectors().size());
  std::set<std::string_view> with_state;
  std::set<const DetectorState*> distinct;
  for (size_t d = 0; d < states.size(); ++d) {
    EXPECT_EQ(states[d] != nullptr, AllDetectors()[d]->make_state != nullptr)
        << AllDetectors()[d]->name;
    if (states[d] == nullptr) continue;
    with_state.insert(AllDetectors()[d]->name);
    distinct.insert(states[d].get());
  }
  EXPECT_EQ(distinct.size(), with_state.size());
  // These two keep what they compare across ticks (link transitions, block ids per height).
  EXPECT_TRUE(with_state.contains("flapping_link"));
  EXPECT_TRUE(with_state.contains("fork"));
}

}  // namespace
}  // namespace guts::collector
