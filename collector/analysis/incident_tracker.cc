#include "collector/analysis/incident_tracker.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "collector/analysis/incident_kind.h"
#include "collector/analysis/runbook.h"
#include "collector/analysis/verdict_parts.h"
#include "common/incident_kind_name.h"
#include "common/natural_order.h"
#include "google/protobuf/util/message_differencer.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr int kMaxTimeline = 64;
constexpr int kMaxEpisodes = 32;

void BeginEpisode(v1::Incident& inc, absl::Time now) {
  v1::IncidentEpisode* e = inc.add_episodes();
  e->set_opened_unix_ms(absl::ToUnixMillis(now));
  inc.set_episode_count(inc.episode_count() + 1);
  if (inc.episodes_size() > kMaxEpisodes) {
    // Keep the first episode; drop the oldest after it.
    inc.mutable_episodes()->DeleteSubrange(1, 1);
  }
}

void EndEpisode(v1::Incident& inc, absl::Time now) {
  if (inc.episodes_size() == 0) return;
  v1::IncidentEpisode* e = inc.mutable_episodes(inc.episodes_size() - 1);
  if (e->resolved_unix_ms() == 0) e->set_resolved_unix_ms(absl::ToUnixMillis(now));
}

// Incidents stored before episodes were recorded have had one, from their opening.
void EnsureFirstEpisode(v1::Incident& inc) {
  if (inc.episodes_size() > 0 || inc.opened_unix_ms() == 0) return;
  v1::IncidentEpisode* e = inc.add_episodes();
  e->set_opened_unix_ms(inc.opened_unix_ms());
  if (inc.state() == v1::RESOLVED) e->set_resolved_unix_ms(inc.resolved_unix_ms());
  inc.set_episode_count(std::max<uint32_t>(inc.episode_count(), 1));
}

// FNV-1a: a deterministic short hash of the cause for readable, collision-resistant ids.
uint32_t Fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

void AddTimeline(v1::Incident& inc, absl::Time now, std::string event) {
  v1::TimelineEntry* e = inc.add_timeline();
  e->set_unix_ms(absl::ToUnixMillis(now));
  e->set_event(std::move(event));
  if (inc.timeline_size() > kMaxTimeline) {
    // Keep the opening entry; drop the oldest update after it.
    inc.mutable_timeline()->DeleteSubrange(1, 1);
  }
}

std::string GroupsText(const v1::Incident& inc) {
  std::vector<std::string> parts;
  for (const v1::NodeGroup& g : inc.groups()) {
    parts.push_back(absl::StrCat("{", absl::StrJoin(g.nodes(), ","), "}"));
  }
  return absl::StrJoin(parts, " ");
}

// A timeline event names at most kNamesShown nodes of a list and this many groups: the entry
// says what changed, the incident's lists hold every name. The whole lists in each of 64 entries
// made a 10 000-node split's incident megabytes heavier at every change of its sides.
constexpr int kGroupsInEvent = 8;

std::string FewGroups(const v1::Incident& inc) {
  std::vector<std::string> parts;
  for (int k = 0; k < inc.groups_size() && k < kGroupsInEvent; ++k) {
    parts.push_back(absl::StrCat("{", FewNamesText(inc.groups(k).nodes()), "}"));
  }
  if (inc.groups_size() > kGroupsInEvent) {
    parts.push_back(absl::StrCat("... (", inc.groups_size(), " groups)"));
  }
  return absl::StrJoin(parts, " ");
}

std::string LinksText(const v1::Incident& inc) {
  std::vector<std::string> parts;
  for (const v1::Link& l : inc.links()) parts.push_back(absl::StrCat(l.from(), "->", l.to()));
  return absl::StrJoin(parts, " ");
}

bool MoreSevereFirst(const v1::Incident& a, const v1::Incident& b) {
  if (a.severity() != b.severity()) return a.severity() < b.severity();
  if (a.opened_unix_ms() != b.opened_unix_ms()) return a.opened_unix_ms() < b.opened_unix_ms();
  return a.id() < b.id();
}

// `open` sorted by MoreSevereFirst, as a result's open incidents.
OpenIncidents MostSevereFirst(std::vector<OpenIncidents::Shared> open) {
  std::sort(open.begin(), open.end(),
            [](const auto& a, const auto& b) { return MoreSevereFirst(*a, *b); });
  return OpenIncidents(std::move(open));
}

// Below this many names an incident is copied anew each tick: proving a small incident unchanged
// (a comparison by reflection) costs more than copying it, and 10 000 cut-off nodes are 20 000
// small incidents.
constexpr int kNamesWorthSharing = 64;

int NameCount(const v1::Incident& inc) {
  int names = inc.nodes_size();
  for (const v1::NodeGroup& g : inc.groups()) names += g.nodes_size();
  return names;
}

// Whether `a` and `b` are equal but for their name lists (the incident's and its groups').
bool SameBesidesNames(const v1::Incident& a, const v1::Incident& b) {
  google::protobuf::util::MessageDifferencer differencer;
  differencer.IgnoreField(v1::Incident::descriptor()->FindFieldByName("nodes"));
  differencer.IgnoreField(v1::NodeGroup::descriptor()->FindFieldByName("nodes"));
  return differencer.Compare(a, b);
}

}  // namespace

// `names` in natural order (v2 before v10), as the operator counts them, into `out`: a stable
// sort, redone only when the names differ from those `memo` last sorted.
template <typename Names>
void IncidentTracker::AddNaturally(const Names& names, bool same_key, NaturalOrder& memo,
                                   google::protobuf::RepeatedPtrField<std::string>& out) {
  if (!same_key && !std::equal(names.begin(), names.end(), memo.names.begin(), memo.names.end())) {
    memo.names.assign(names.begin(), names.end());
    memo.order.resize(memo.names.size());
    for (size_t i = 0; i < memo.order.size(); ++i) memo.order[i] = static_cast<int>(i);
    std::stable_sort(memo.order.begin(), memo.order.end(),
                     [&](int a, int b) { return NaturalLess(memo.names[a], memo.names[b]); });
  }
  out.Clear();
  out.Reserve(static_cast<int>(memo.order.size()));
  for (int i : memo.order) *out.Add() = memo.names[i];
}

// Whether `out` already holds `names` in natural order: `memo` last sorted these very names and
// `out` was written from it (CopyVerdict writes every list through its memo, and a restored
// incident has none). Comparing the names is all a steady split costs: copying its 20 000
// names into the incident and joining them into text before and after, to learn nothing
// changed, was most of the tracker's time.
template <typename Names>
bool IncidentTracker::Kept(const Names& names, bool same_key,
                           const std::vector<NaturalOrder>& orders, size_t k,
                           const google::protobuf::RepeatedPtrField<std::string>& out) {
  if (k >= orders.size()) return false;
  const NaturalOrder& memo = orders[k];
  if (static_cast<size_t>(out.size()) != memo.order.size()) return false;
  // The same members key: the very names the memo holds (a split that stands).
  if (same_key) return true;
  return std::equal(names.begin(), names.end(), memo.names.begin(), memo.names.end());
}

std::vector<char> IncidentTracker::KeptLists(const Verdict& v, const Cause& cause) {
  const v1::Incident& inc = cause.incident;
  std::vector<char> kept(1 + v.groups.size(), 0);
  const bool same_key = cause.SameKey(v);
  kept[0] = Kept(v.nodes, same_key, cause.orders, 0, inc.nodes());
  if (static_cast<size_t>(inc.groups_size()) != v.groups.size()) return kept;
  for (size_t k = 0; k < v.groups.size(); ++k) {
    kept[1 + k] = Kept(v.groups[k].nodes(), same_key, cause.orders, 1 + k,
                       inc.groups(static_cast<int>(k)).nodes());
  }
  return kept;
}

void IncidentTracker::CopyVerdict(const Verdict& v, Cause& cause, const std::vector<char>* kept) {
  v1::Incident& inc = cause.incident;
  inc.set_kind(v.kind);
  inc.set_kind_name(std::string(KindNameOf(v)));
  inc.set_summary(v.summary);
  cause.orders.resize(1 + v.groups.size());
  auto is_kept = [&](size_t k) { return kept != nullptr && (*kept)[k] != 0; };
  const bool same_key = cause.SameKey(v);
  if (!is_kept(0)) AddNaturally(v.nodes, same_key, cause.orders[0], *inc.mutable_nodes());
  inc.clear_links();
  for (const v1::Link& l : v.links) *inc.add_links() = l;
  // The groups stay when there are as many (their name lists are written over, or kept).
  if (static_cast<size_t>(inc.groups_size()) != v.groups.size()) {
    inc.clear_groups();
    for (size_t k = 0; k < v.groups.size(); ++k) inc.add_groups();
  }
  for (size_t k = 0; k < v.groups.size(); ++k) {
    const v1::NodeGroup& g = v.groups[k];
    v1::NodeGroup* group = inc.mutable_groups(static_cast<int>(k));
    if (!is_kept(1 + k)) {
      AddNaturally(g.nodes(), same_key, cause.orders[1 + k], *group->mutable_nodes());
    }
    group->set_weight(g.weight());
    group->set_has_quorum(g.has_quorum());
    group->set_height(g.height());
  }
  inc.mutable_evidence()->clear();
  for (const auto& [k, val] : v.evidence) (*inc.mutable_evidence())[k] = val;
  inc.clear_absorbed();
  for (const std::string& a : v.absorbed) inc.add_absorbed(a);
  inc.set_height(v.height);
  inc.set_cause_key(v.cause_key);
  // Every list's memo now holds the verdict's lists (kept or sorted anew): they are its key's.
  cause.SetKey(v.Members());
}

IncidentTracker::IncidentTracker(const AnalysisConfig& config) : config_(config) {}

void IncidentTracker::Restore(const std::vector<v1::Incident>& open) {
  for (const v1::Incident& inc : open) {
    if (inc.state() != v1::OPEN || inc.cause_key().empty()) continue;
    Cause& cause = causes_[inc.cause_key()];
    cause.incident = inc;
    cause.orders.clear();  // the lists are the stored incident's, written by no memo
    cause.SetKey(nullptr);
    cause.shared.reset();
    // Stored before Incident.kind_name existed: named after the enum.
    cause.incident.set_kind_name(IncidentKindName(inc));
    cause.kind_name = cause.incident.kind_name();
    EnsureFirstEpisode(cause.incident);
    // What the collector knew before it stopped; the analysis has yet to see it again.
    cause.incident.set_awaiting_confirmation(true);
    cause.open = true;
    cause.ever_opened = true;
    cause.present = 0;
    cause.absent = 0;
  }
}

IncidentChanges IncidentTracker::Unchanged() {
  IncidentChanges changes;
  changes.open = OpenNow();
  return changes;
}

OpenIncidents IncidentTracker::OpenNow() {
  std::vector<OpenIncidents::Shared> open;
  for (auto& [key, cause] : causes_) {
    if (!cause.open) continue;
    if (cause.shared == nullptr)
      cause.shared = std::make_shared<const v1::Incident>(cause.incident);
    open.push_back(cause.shared);
  }
  return MostSevereFirst(std::move(open));
}

void IncidentTracker::ForgetSharedIfChanged(bool lists_kept, Cause& cause) {
  if (cause.shared == nullptr) return;
  // A kept list is untouched since the share was made (it is the same list); any other was
  // written over, and a small incident is not worth the comparison.
  if (!lists_kept || NameCount(cause.incident) < kNamesWorthSharing ||
      !SameBesidesNames(*cause.shared, cause.incident)) {
    cause.shared.reset();
  }
}

void IncidentTracker::Open(absl::Time now, const Verdict& v, Cause& cause) {
  v1::Incident& inc = cause.incident;
  bool reopen = cause.ever_opened && now - cause.resolved_at <= config_.reopen_cooldown;
  if (!reopen) {
    inc.Clear();
    int64_t ms = absl::ToUnixMillis(now);
    inc.set_id(absl::StrFormat("inc-%d-%08x", ms, Fnv1a(v.cause_key)));
    inc.set_opened_unix_ms(ms);
  }
  if (reopen) EnsureFirstEpisode(inc);
  BeginEpisode(inc, now);
  CopyVerdict(v, cause);
  cause.shared.reset();
  inc.set_severity(v.severity);
  inc.set_state(v1::OPEN);
  inc.set_awaiting_confirmation(false);
  inc.set_resolved_unix_ms(0);
  inc.set_updated_unix_ms(absl::ToUnixMillis(now));
  *inc.mutable_runbook() = RunbookFor(KindNameOf(v));
  AddTimeline(inc, now,
              reopen ? absl::StrCat("reopened (episode ", inc.episode_count(), "): ", v.summary)
                     : absl::StrCat("opened ", v1::Severity_Name(v.severity), ": ", v.summary));
  cause.open = true;
  cause.ever_opened = true;
}

bool IncidentTracker::Refresh(absl::Time now, const Verdict& v, Cause& cause, bool& lists_kept) {
  v1::Incident& inc = cause.incident;
  std::vector<std::string> events;
  if (inc.severity() != v.severity) {
    events.push_back(absl::StrCat("severity ", v1::Severity_Name(inc.severity()), " -> ",
                                  v1::Severity_Name(v.severity)));
    inc.set_severity(v.severity);
  }
  if (IncidentKindName(inc) != KindNameOf(v)) {
    events.push_back(
        absl::StrCat("updated: ", IncidentKindName(inc), " -> ", std::string(KindNameOf(v))));
    *inc.mutable_runbook() = RunbookFor(KindNameOf(v));
  }
  // The lists' text is compared only for lists that may have changed: a kept list is the same.
  const std::vector<char> kept = KeptLists(v, cause);
  const bool nodes_kept = kept[0] != 0;
  const bool groups_kept = std::all_of(kept.begin() + 1, kept.end(), [](char k) { return k; }) &&
                           static_cast<size_t>(inc.groups_size()) == v.groups.size();
  lists_kept = nodes_kept && groups_kept;
  const std::string nodes_before = nodes_kept ? std::string() : absl::StrJoin(inc.nodes(), ",");
  const std::string groups_before = groups_kept ? std::string() : GroupsText(inc);
  std::string links_before = LinksText(inc);
  size_t absorbed_before = inc.absorbed_size();
  uint64_t height_before = inc.height();
  CopyVerdict(v, cause, &kept);
  if (!nodes_kept && absl::StrJoin(inc.nodes(), ",") != nodes_before) {
    events.push_back(absl::StrCat("updated: nodes ", FewNamesText(inc.nodes())));
  }
  if (!groups_kept && GroupsText(inc) != groups_before) {
    events.push_back(absl::StrCat("updated: groups ", FewGroups(inc)));
  }
  if (LinksText(inc) != links_before) {
    events.push_back(absl::StrCat("updated: links ", LinksText(inc)));
  }
  const IncidentKindSpec* kind = FindIncidentKind(KindNameOf(v));
  const bool height_is_news = kind == nullptr || kind->height_updates_incident;
  bool changed = !events.empty() || static_cast<size_t>(inc.absorbed_size()) != absorbed_before ||
                 (height_is_news && inc.height() != height_before);
  for (std::string& e : events) AddTimeline(inc, now, std::move(e));
  if (changed) inc.set_updated_unix_ms(absl::ToUnixMillis(now));
  return changed;
}

namespace {

// The ticks `v`'s cause must hold to open: its kind's, when that is fewer than the config's.
int EnterTicks(const Verdict& v, const AnalysisConfig& config) {
  return v.enter_ticks > 0 ? std::min(v.enter_ticks, config.enter_ticks) : config.enter_ticks;
}

// Whether a run of `ticks` ticks since `since` is long enough for a hold of `needed` ticks.
// A hold of more than one tick is there because one snapshot can show the shape for a moment;
// it also lasts host_noise on the real clock, because in a compressed run (ticks of 0.1 s) a
// snapshot a busy host delayed stays the latest for several ticks (S01's soak: a NODE_LAGGING
// from one snapshot whose node API read had failed). At one tick a second it never binds.
bool HeldLongEnough(int ticks, int needed, absl::Time since, absl::Time now,
                    const AnalysisConfig& config) {
  if (ticks < needed) return false;
  return needed <= 1 || now - since >= config.host_noise;
}

}  // namespace

IncidentChanges IncidentTracker::Apply(absl::Time now, const std::vector<Verdict>& verdicts,
                                       const std::set<std::string, std::less<>>& held) {
  IncidentChanges changes;
  // Keys viewing the verdicts' own: a copy of each was 20 000 strings a tick at 10 000 nodes
  // all cut off.
  absl::flat_hash_map<absl::string_view, const Verdict*> present;
  for (const Verdict& v : verdicts) present.emplace(v.cause_key, &v);

  for (const auto& [key, verdict] : present) {
    Cause& cause = causes_[key];
    cause.kind_name = std::string(KindNameOf(*verdict));
    if (cause.present++ == 0) cause.present_since = now;
    cause.absent = 0;
    if (cause.open) {
      bool lists_kept = false;
      bool changed = Refresh(now, *verdict, cause, lists_kept);
      v1::Incident& inc = cause.incident;
      if (inc.awaiting_confirmation() && cause.present >= config_.enter_ticks) {
        inc.set_awaiting_confirmation(false);
        inc.set_updated_unix_ms(absl::ToUnixMillis(now));
        AddTimeline(inc, now, "confirmed by the analysis after the collector restarted");
        changed = true;
      }
      ForgetSharedIfChanged(lists_kept, cause);
      if (changed) changes.changed.push_back(inc);
    } else if (HeldLongEnough(cause.present, EnterTicks(*verdict, config_), cause.present_since,
                              now, config_)) {
      Open(now, *verdict, cause);
      changes.changed.push_back(cause.incident);
    }
  }
  for (auto it = causes_.begin(); it != causes_.end();) {
    Cause& cause = it->second;
    if (present.contains(it->first) || held.contains(cause.kind_name)) {
      ++it;
      continue;
    }
    cause.present = 0;
    if (cause.absent++ == 0) cause.absent_since = now;
    if (cause.open &&
        HeldLongEnough(cause.absent, config_.clear_ticks, cause.absent_since, now, config_)) {
      cause.open = false;
      cause.resolved_at = now;
      cause.shared.reset();
      v1::Incident& inc = cause.incident;
      inc.set_state(v1::RESOLVED);
      inc.set_resolved_unix_ms(absl::ToUnixMillis(now));
      inc.set_updated_unix_ms(absl::ToUnixMillis(now));
      EndEpisode(inc, now);
      AddTimeline(inc, now, "resolved");
      changes.changed.push_back(inc);
    }
    bool forgettable =
        !cause.open && (!cause.ever_opened || now - cause.resolved_at > config_.reopen_cooldown);
    if (forgettable) {
      causes_.erase(it++);
    } else {
      ++it;
    }
  }
  changes.open = OpenNow();
  std::sort(changes.changed.begin(), changes.changed.end(), MoreSevereFirst);
  return changes;
}

}  // namespace guts::collector
