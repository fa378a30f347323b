// CauseMemory: the links that recent causes cut (a partition's groups, an isolated node), kept
// for the flap window, so that links changing state because one cause came, went and came back
// are folded under that cause instead of each becoming a FLAPPING_LINK of its own. A partition
// cut, healed and cut again within the flap window is one cause with two episodes.
//
// Example:
//   memory.Remember(now, verdicts);            // before FoldSymptoms: absorbed causes count too
//   FoldSymptoms(verdicts);
//   FoldFlappingUnderCauses(now, config.flap_window, memory, verdicts);
//
// Not thread-safe; owned by the Analyzer.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/analysis/verdict.h"

namespace guts::collector {

class CauseMemory {
 public:
  // Remembers the cut of every verdict in `verdicts` whose kind declares one
  // (IncidentKindSpec::cuts): partitions by their groups, isolations by their nodes against
  // every other node.
  void Remember(absl::Time now, const std::vector<Verdict>& verdicts);

  // The cause key of a cut seen within `window` before `now` that separates `a` from `b`, or
  // empty. Cuts older than `window` are forgotten.
  std::string Explains(absl::Time now, absl::Duration window, absl::string_view a,
                       absl::string_view b);

 private:
  // One shape of one cause: node -> side. A node without a side is on no side (a bridge, a
  // silent node) unless `others_are_a_side` (isolation: everyone else is the other side).
  struct Cut {
    std::string cause_key;
    absl::flat_hash_map<std::string, int> side;
    bool others_are_a_side = false;
    absl::Time last_seen;
  };
  static bool Separates(const Cut& cut, absl::string_view a, absl::string_view b);

  std::vector<Cut> cuts_;
};

// Drops every verdict whose kind folds under past cuts (IncidentKindSpec::folds_under_past_cuts:
// FLAPPING_LINK) and whose link a remembered cause cut within `window`; the cause's verdict,
// when present (or the verdict that absorbed it), lists it in `absorbed`.
void FoldFlappingUnderCauses(absl::Time now, absl::Duration window, CauseMemory& memory,
                             std::vector<Verdict>& verdicts);

}  // namespace guts::collector
