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

#include <cstdint>
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
  // every other node. Called once a tick. A cut explains flapping only once its verdict has
  // held `confirm_ticks` ticks in a row (the analyzer passes enter_ticks): a verdict of one
  // tick that never became an incident (a late agent's node looking isolated for a moment)
  // would otherwise fold a flapping link for the whole flap window, and its incident would
  // resolve and reopen around it (S17 under load).
  void Remember(absl::Time now, const std::vector<Verdict>& verdicts, int confirm_ticks);

  // The cause key of a confirmed cut seen within `window` before `now` that separates `a` from
  // `b`, or empty. Cuts older than `window` are forgotten.
  std::string Explains(absl::Time now, absl::Duration window, absl::string_view a,
                       absl::string_view b);

 private:
  // One shape of one cause: node -> side. A node without a side is on no side (a bridge, a
  // silent node) unless `others_are_a_side` (isolation: everyone else is the other side).
  struct Cut {
    std::string cause_key;
    absl::flat_hash_map<std::string, int> side;
    // The verdict's members as it listed them (group by group; `ends`: where each group ends),
    // when each is listed once: the same verdict a tick later lists them in the same order, and
    // comparing the lists costs a tenth of finding each of 10 000 members in `side`.
    std::vector<std::string> listed;
    std::vector<size_t> ends;
    bool listed_once = false;  // false: a member was listed twice, and only `side` can tell
    // The members key (Verdict::Members) `listed` is the lists of, when has_key.
    bool has_key = false;
    MembersKey key;
    void SetKey(const MembersKey* k) {
      has_key = k != nullptr;
      if (k == nullptr) {
        key = MembersKey();
      } else if (!(key == *k)) {
        key = *k;
      }
    }
    bool others_are_a_side = false;
    absl::Time last_seen;
    int64_t last_tick = 0;  // Remember calls, counted
    int streak = 0;         // ticks in a row it was seen, up to last_tick
    bool confirmed = false;
  };
  static bool Separates(const Cut& cut, absl::string_view a, absl::string_view b);

  std::vector<Cut> cuts_;
  int64_t tick_ = 0;
};

// Drops every verdict whose kind folds under past cuts (IncidentKindSpec::folds_under_past_cuts:
// FLAPPING_LINK) and whose link a remembered cause cut within `window`; the cause's verdict,
// when present (or the verdict that absorbed it), lists it in `absorbed`.
void FoldFlappingUnderCauses(absl::Time now, absl::Duration window, CauseMemory& memory,
                             std::vector<Verdict>& verdicts);

}  // namespace guts::collector
