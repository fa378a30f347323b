// IncidentTracker: turns each tick's folded verdicts into incidents with hysteresis. A cause
// (verdict cause_key) opens an incident after `enter_ticks` consecutive ticks and resolves it
// after `clear_ticks` ticks without it; a hold of more than one tick also lasts at least
// `host_noise` on the real clock (a compressed run's ticks are a tenth of a second, within
// which one late snapshot is still the latest). A cause that comes back within `reopen_cooldown`
// reopens its old incident (same id) as a new episode instead of opening a new incident: a
// partition healed and cut again a minute later is one cause, and its episodes say how often it
// came back. Past the cooldown the cause is forgotten and a recurrence is a new incident.
// Severity, names and groups changes are recorded in the incident's timeline.
//
// Example:
//   IncidentTracker incidents(config);
//   incidents.Restore(store.LoadOpenIncidents());
//   IncidentChanges c = incidents.Apply(now, verdicts, held_kinds);
//
// Not thread-safe; owned by the Analyzer.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/open_incidents.h"
#include "collector/analysis/verdict.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

struct IncidentChanges {
  OpenIncidents open;  // most severe first, then oldest; shared while unchanged
  std::vector<guts::diag::v1::Incident> changed;  // opened, updated or resolved now
};

class IncidentTracker {
 public:
  explicit IncidentTracker(const AnalysisConfig& config);

  // Takes over incidents that were open before a restart; their causes keep their ids.
  // Incidents that are not OPEN or have no cause_key are ignored. A restored incident is
  // `awaiting_confirmation` until its cause is present for `enter_ticks` ticks (then it is
  // confirmed, a changed incident); absent for `clear_ticks` it resolves unconfirmed.
  void Restore(const std::vector<guts::diag::v1::Incident>& open);

  // The open incidents as they stand, nothing opened, cleared or counted: the tick of an
  // analysis that is still warming up (analysis_warm_up.h). Shares them as Apply does.
  IncidentChanges Unchanged();

  // One tick. Causes of a kind named in `held` neither open, clear nor count: their evidence
  // is not trustworthy this tick (the collector is overloaded).
  IncidentChanges Apply(absl::Time now, const std::vector<Verdict>& verdicts,
                        const std::set<std::string, std::less<>>& held);

 private:
  // A list of names as last given, and the permutation that sorts it naturally (stable).
  struct NaturalOrder {
    std::vector<std::string> names;
    std::vector<int> order;
  };
  struct Cause {
    std::string kind_name;
    int present = 0;
    int absent = 0;
    // The first tick of the current run of `present` (or `absent`) ticks.
    absl::Time present_since = absl::InfinitePast();
    absl::Time absent_since = absl::InfinitePast();
    bool open = false;
    bool ever_opened = false;
    absl::Time resolved_at = absl::InfinitePast();
    guts::diag::v1::Incident incident;
    // The natural order of the name lists last copied into `incident`: its nodes (entry 0), then
    // each group's. A split names every node of a 10 000-node fleet in its groups, and the lists
    // rarely change between ticks; sorting them naturally on every tick was a tenth of the tick.
    std::vector<NaturalOrder> orders;
    // The members key (Verdict::Members) of the lists `orders` holds, when has_key: a verdict
    // of the same key names them again, without comparing its names.
    bool has_key = false;
    MembersKey key;
    bool SameKey(const Verdict& v) const {
      const VerdictMembers* m = v.Members();
      return has_key && m != nullptr && m->key == key;
    }
    void SetKey(const VerdictMembers* m) {
      has_key = m != nullptr;
      if (m == nullptr) {
        key = MembersKey();
      } else if (!(key == m->key)) {
        key = m->key;
      }
    }
    // `incident` as last handed out in IncidentChanges::open, while it has not changed since
    // (null once it has): a steady split's incident is handed out again instead of copied.
    std::shared_ptr<const guts::diag::v1::Incident> shared;
  };

  // `names` into `out` in natural order (v2 before v10), by `memo`.
  // `same_key`: `names` are those the memo sorted last (their members keys are equal).
  template <typename Names>
  static void AddNaturally(const Names& names, bool same_key, NaturalOrder& memo,
                           google::protobuf::RepeatedPtrField<std::string>& out);
  // Whether `out` already holds `names` as orders[k] sorts them (written from that memo);
  // `same_key`: the memo's names are `names` (their members keys are equal).
  template <typename Names>
  static bool Kept(const Names& names, bool same_key, const std::vector<NaturalOrder>& orders,
                   size_t k, const google::protobuf::RepeatedPtrField<std::string>& out);
  // Kept() of the verdict's node list (entry 0) and of each group's (1 + k; 0 when the incident
  // holds another number of groups).
  static std::vector<char> KeptLists(const Verdict& v, const Cause& cause);
  // The verdict into the incident; the lists `kept` marks are left as they are.
  static void CopyVerdict(const Verdict& v, Cause& cause, const std::vector<char>* kept = nullptr);
  void Open(absl::Time now, const Verdict& v, Cause& cause);
  // Whether anything changed that is news (the timeline's updates); `lists_kept` says whether
  // every name list was left as it was.
  bool Refresh(absl::Time now, const Verdict& v, Cause& cause, bool& lists_kept);
  // Drops `cause.shared` when the incident no longer equals it.
  static void ForgetSharedIfChanged(bool lists_kept, Cause& cause);
  // The open incidents, most severe first: each cause's share, made anew where it changed.
  OpenIncidents OpenNow();

  AnalysisConfig config_;
  // A node map: a Cause (with its Incident) is ~530 bytes, which a flat map keeps in every
  // slot, empty ones included (up to half of them after a resize; a resize holds both tables):
  // 17 MB of slots for the 20 000 causes of 10 000 cut-off nodes, and 26 MB while it grew.
  absl::node_hash_map<std::string, Cause> causes_;
};

}  // namespace guts::collector
