#include "collector/analysis/cause_memory.h"

#include <algorithm>

#include "collector/analysis/incident_kind.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// A cause remembers only a few shapes (a partition that comes back with other groups).
constexpr size_t kMaxCuts = 64;

const IncidentKindSpec* KindOf(const Verdict& v) { return FindIncidentKind(KindNameOf(v)); }

CutShape CutOf(const Verdict& v) {
  const IncidentKindSpec* kind = KindOf(v);
  return kind == nullptr ? CutShape::kNone : kind->cuts;
}

bool FoldsUnderPastCuts(const Verdict& v) {
  const IncidentKindSpec* kind = KindOf(v);
  return kind != nullptr && kind->folds_under_past_cuts;
}

}  // namespace

void CauseMemory::Remember(absl::Time now, const std::vector<Verdict>& verdicts,
                           int confirm_ticks) {
  ++tick_;
  auto seen = [&](Cut& cut) {
    cut.streak = cut.last_tick == tick_ - 1 ? cut.streak + 1 : 1;
    cut.last_tick = tick_;
    cut.last_seen = now;
    cut.confirmed = cut.confirmed || cut.streak >= confirm_ticks;
  };
  for (const Verdict& v : verdicts) {
    const CutShape shape = CutOf(v);
    if (shape == CutShape::kNone) continue;
    bool isolation = shape == CutShape::kItsNodes;
    size_t members = 0;
    if (isolation) {
      members = v.nodes.size();
    } else {
      for (const v1::NodeGroup& g : v.groups) members += g.nodes_size();
    }
    auto same = [&](const Cut& cut) {
      if (cut.cause_key != v.cause_key || cut.side.size() != members) return false;
      if (isolation) {
        return std::all_of(v.nodes.begin(), v.nodes.end(),
                           [&](const std::string& n) { return cut.side.contains(n); });
      }
      for (int g = 0; g < static_cast<int>(v.groups.size()); ++g) {
        for (const std::string& n : v.groups[g].nodes()) {
          auto it = cut.side.find(n);
          if (it == cut.side.end() || it->second != g) return false;
        }
      }
      return true;
    };
    const VerdictMembers* verdict_members = v.Members();
    const MembersKey* key = verdict_members != nullptr ? &verdict_members->key : nullptr;
    // The members as the cut listed them: then `same` holds too (each member on the side it had,
    // as many members as sides).
    auto same_list = [&](const Cut& cut) {
      if (!cut.listed_once || cut.cause_key != v.cause_key || cut.listed.size() != members) {
        return false;
      }
      // The same members key: the very lists `listed` was made from (a split that stands).
      if (key != nullptr && cut.has_key && cut.key == *key) return true;
      if (isolation) {
        return cut.ends.size() == 1 &&
               std::equal(v.nodes.begin(), v.nodes.end(), cut.listed.begin());
      }
      if (cut.ends.size() != v.groups.size()) return false;
      size_t at = 0;
      for (size_t g = 0; g < v.groups.size(); ++g) {
        const auto& nodes = v.groups[g].nodes();
        if (at + static_cast<size_t>(nodes.size()) != cut.ends[g] ||
            !std::equal(nodes.begin(), nodes.end(), cut.listed.begin() + at)) {
          return false;
        }
        at = cut.ends[g];
      }
      return true;
    };
    bool listed_same = false;
    auto found = std::find_if(cuts_.begin(), cuts_.end(), [&](const Cut& cut) {
      listed_same = same_list(cut);
      return listed_same || same(cut);
    });
    if (found != cuts_.end()) {
      // Listed as the verdict lists them: they are its members key's lists too.
      if (listed_same) found->SetKey(key);
      if (found->last_tick != tick_) seen(*found);
      continue;
    }
    Cut cut;
    cut.cause_key = v.cause_key;
    seen(cut);
    cut.others_are_a_side = isolation;
    if (isolation) {
      for (const std::string& n : v.nodes) cut.side.emplace(n, 0);
      cut.listed.assign(v.nodes.begin(), v.nodes.end());
      cut.ends.push_back(cut.listed.size());
    } else {
      for (int g = 0; g < static_cast<int>(v.groups.size()); ++g) {
        for (const std::string& n : v.groups[g].nodes()) cut.side.emplace(n, g);
        cut.listed.insert(cut.listed.end(), v.groups[g].nodes().begin(), v.groups[g].nodes().end());
        cut.ends.push_back(cut.listed.size());
      }
    }
    cut.listed_once = cut.side.size() == members;
    if (!cut.listed_once) {
      cut.listed.clear();
      cut.ends.clear();
    } else {
      cut.SetKey(key);
    }
    if (cuts_.size() >= kMaxCuts) {
      cuts_.erase(std::min_element(cuts_.begin(), cuts_.end(), [](const Cut& a, const Cut& b) {
        return a.last_seen < b.last_seen;
      }));
    }
    cuts_.push_back(std::move(cut));
  }
}

bool CauseMemory::Separates(const Cut& cut, absl::string_view a, absl::string_view b) {
  auto sa = cut.side.find(a);
  auto sb = cut.side.find(b);
  if (cut.others_are_a_side) return (sa == cut.side.end()) != (sb == cut.side.end());
  return sa != cut.side.end() && sb != cut.side.end() && sa->second != sb->second;
}

std::string CauseMemory::Explains(absl::Time now, absl::Duration window, absl::string_view a,
                                  absl::string_view b) {
  cuts_.erase(std::remove_if(cuts_.begin(), cuts_.end(),
                             [&](const Cut& c) { return now - c.last_seen > window; }),
              cuts_.end());
  for (const Cut& cut : cuts_) {
    if (cut.confirmed && Separates(cut, a, b)) return cut.cause_key;
  }
  return "";
}

void FoldFlappingUnderCauses(absl::Time now, absl::Duration window, CauseMemory& memory,
                             std::vector<Verdict>& verdicts) {
  std::vector<char> folded(verdicts.size(), 0);
  bool any = false;
  for (size_t s = 0; s < verdicts.size(); ++s) {
    const Verdict& symptom = verdicts[s];
    if (symptom.links.empty() || !FoldsUnderPastCuts(symptom)) continue;
    std::string cause =
        memory.Explains(now, window, symptom.links[0].from(), symptom.links[0].to());
    if (cause.empty()) continue;
    folded[s] = 1;
    any = true;
    // The cause itself, or the verdict that absorbed it this tick.
    for (Verdict& v : verdicts) {
      bool holds = v.cause_key == cause ||
                   std::find(v.absorbed.begin(), v.absorbed.end(), cause) != v.absorbed.end();
      if (!holds || FoldsUnderPastCuts(v)) continue;
      v.absorbed.push_back(symptom.cause_key);
      std::sort(v.absorbed.begin(), v.absorbed.end());
      break;
    }
  }
  if (!any) return;
  size_t kept = 0;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    if (folded[i]) continue;
    if (kept != i) verdicts[kept] = std::move(verdicts[i]);
    ++kept;
  }
  verdicts.resize(kept);
}

}  // namespace guts::collector
