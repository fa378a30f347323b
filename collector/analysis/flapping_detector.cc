// FLAPPING_LINK: a link (either side hearing the other) going up and down repeatedly within
// the flap window while both its nodes stay up. A node going down, silent or restarting takes
// its links with it; LinkFlaps does not count those changes (S21 rolling restarts are not
// flapping links). One incident per pair; it clears once the link has been steady for
// flap_quiet.
//
// A link is seen down only once its data is peer_heard_within old, but seen up a moment after
// data flows again; so an up period looks longer than it was by about that window, and a quiet
// window long enough for the real rhythm ran out before the next cut showed (S17, flaps 20 s
// apart, under load: the incident resolved and reopened). A link that is up but whose data has
// stopped for two snapshot intervals, or half of peer_heard_within if shorter, is not steady:
// its quiet waits until it shows down or its data flows again.
#include <algorithm>
#include <deque>
#include <iterator>
#include <optional>

#include "absl/container/flat_hash_map.h"
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
                                         .fold_rank = 140,
                                         .folds_under_past_cuts = true,
                                         .first_command = "net matrix"};
constexpr const IncidentKindSpec* kKinds[] = {&kFlappingLink};
constexpr ConfigWindow kWindows[] = {&AnalysisConfig::flap_window};
// A link flaps after this many up/down transitions within flap_window, and clears once it has
// been steady for flap_quiet.
constexpr DetectorWindow kFlapQuiet{.name = "flap_quiet", .default_value = absl::Seconds(21)};
constexpr DetectorNumber kFlapMinTransitions{.name = "flap_min_transitions", .default_value = 4};
constexpr const DetectorWindow* kOwnWindows[] = {&kFlapQuiet};
constexpr const DetectorNumber* kOwnNumbers[] = {&kFlapMinTransitions};

// Only links that changed state within the flap window are kept; a steady link costs nothing.
// Transitions while an endpoint is unsettled (NodeHistory::unsettled_until) are not kept: a
// link flaps when it goes up and down while both its nodes stay up.
struct LinkHistory {
  bool up = false;
  // Up, but neither side has received from the other for a while (Fading).
  bool fading = false;
  // The last tick it was fading. A link whose data stops for less than peer_heard_within never
  // shows down, but it was not steady either: its quiet counts from here too.
  absl::Time last_fading = absl::InfinitePast();
  int64_t changed_tick = -1;           // last tick a transition was recorded (one per tick)
  int64_t down_tick = -1;              // the tick of the last recorded down
  std::deque<absl::Time> transitions;  // within flap_window
};

bool Contains(const std::vector<uint32_t>& sorted, uint32_t x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}

// How long ago node `u` last received from node `v` (model indices) as its latest snapshot
// says; nullopt when `u` does not report or has no session with `v`.
std::optional<absl::Duration> ReceiveAge(const FleetModel& model, int u, int v) {
  if (u < 0 || v < 0) return std::nullopt;
  return model.ReceiveAge(u, v);
}

// Up, but both directions' data older than two snapshot intervals or half of peer_heard_within,
// whichever is shorter: the link is going down, and will show so once the age passes
// peer_heard_within. Needs both nodes reporting.
bool Fading(const FleetModel& model, absl::Duration heard_within, int u, int v) {
  std::optional<absl::Duration> uv = ReceiveAge(model, u, v);
  std::optional<absl::Duration> vu = ReceiveAge(model, v, u);
  if (!uv || !vu) return false;
  const absl::Duration interval = std::max(model.nodes[u].interval, model.nodes[v].interval);
  return std::min(*uv, *vu) > std::min(2 * interval, heard_within / 2);
}

// The links' recent transitions, by stable node numbers (AnalysisHistory).
class LinkFlaps final : public DetectorState {
 public:
  static uint64_t LinkKey(uint32_t a, uint32_t b) {
    if (a > b) std::swap(a, b);
    return (uint64_t{a} << 32) | b;
  }

  const absl::flat_hash_map<uint64_t, LinkHistory>& links() const { return links_; }

  void Update(const DetectorInput& in) override;

 private:
  absl::flat_hash_map<uint64_t, LinkHistory> links_;  // key: LinkKey
  // Per stable node number: the numbers it heard at its last report (sorted). Links change
  // state when these change, so a tick compares lists instead of visiting every link.
  std::vector<std::vector<uint32_t>> heard_;
  std::vector<char> heard_known_;
  // The model of the last Update (FleetModel::build), and by its indices whether each node's
  // list went into heard_ (reporting, with peer data): a node that did and whose `hears` has not
  // changed since (FleetModel::hears_changed) has the same list, without making it.
  uint64_t last_build_ = 0;
  std::vector<char> listed_;
};

void LinkFlaps::Update(const DetectorInput& in) {
  const FleetModel& model = in.model;
  const AnalysisHistory& h = in.history;
  auto unsettled = [&](uint32_t x) {
    return x < h.nodes.size() && model.now <= h.nodes[x].unsettled_until;
  };
  const size_t n = model.nodes.size();
  heard_.resize(h.names.size());
  heard_known_.resize(h.names.size(), 0);
  std::vector<int> index_of(h.names.size(), -1);
  // This tick's lists for reporting nodes, kept only where they differ from the last tick's
  // (most do not, and copying them all was the bulk of this step). Silent nodes keep their last
  // list: a node that stops reporting is not a link going down (its peers' lists say that), and
  // one that comes back is not a flap.
  std::vector<int> fresh_of(n, -1);  // node -> its new list in `fresh`, when it changed
  std::vector<std::vector<uint32_t>> fresh;
  std::vector<uint32_t> list;
  // The last model is this one's predecessor, numbered alike: a node listed then whose `hears`
  // stayed has the list heard_ holds.
  const bool steady = model.Follows(last_build_, listed_.size());
  std::vector<char> listed(n, 0);
  std::vector<int> to_list;  // the nodes whose list is made and compared
  for (size_t u = 0; u < n; ++u) {
    const NodeFacts& f = model.nodes[u];
    if (!f.reporting || !f.has_peer_data) continue;
    index_of[f.number] = static_cast<int>(u);
    listed[u] = 1;
    if (steady && listed_[u] && !model.hears_changed[u]) continue;
    to_list.push_back(static_cast<int>(u));
  }
  // Every node's number in one small array, read in one sequential pass: looking each heard
  // peer's number up in its facts touched a line of another node per session (most of this
  // step's time).
  std::vector<uint32_t> number_of;
  if (!to_list.empty()) {
    number_of.resize(n);
    for (size_t u = 0; u < n; ++u) number_of[u] = model.nodes[u].number;
  }
  for (int u : to_list) {
    const NodeFacts& f = model.nodes[u];
    uint32_t a = f.number;
    list.clear();
    for (int v : f.hears) list.push_back(number_of[v]);
    // Already sorted while the numbers follow the view's order (a fleet numbered as it stands).
    if (!std::is_sorted(list.begin(), list.end())) std::sort(list.begin(), list.end());
    if (heard_known_[a] && heard_[a] == list) continue;
    fresh_of[u] = static_cast<int>(fresh.size());
    fresh.push_back(list);
  }
  auto now_list = [&](uint32_t x) -> const std::vector<uint32_t>& {
    int u = index_of[x];
    return u >= 0 && fresh_of[u] >= 0 ? fresh[fresh_of[u]] : heard_[x];
  };
  std::vector<uint32_t> changed;
  for (size_t u = 0; u < n; ++u) {
    if (fresh_of[u] < 0) continue;
    uint32_t a = model.nodes[u].number;
    if (!heard_known_[a]) continue;
    const std::vector<uint32_t>& before = heard_[a];
    const std::vector<uint32_t>& after = fresh[fresh_of[u]];
    changed.clear();
    std::set_symmetric_difference(before.begin(), before.end(), after.begin(), after.end(),
                                  std::back_inserter(changed));
    for (uint32_t b : changed) {
      if (!heard_known_[b]) continue;
      bool was_up = Contains(heard_[a], b) || Contains(heard_[b], a);
      bool is_up = Contains(after, b) || Contains(now_list(b), a);
      if (was_up == is_up) continue;
      // The node coming and going. Its peers may see it go a snapshot before its own agent
      // does; that first change counts, but no more from either end within the flap window.
      if (unsettled(a) || unsettled(b)) {
        auto it = links_.find(LinkKey(a, b));
        if (it != links_.end()) it->second.up = is_up;
        continue;
      }
      LinkHistory& link = links_[LinkKey(a, b)];
      if (link.changed_tick == h.tick) continue;  // seen from the other side already
      link.changed_tick = h.tick;
      link.up = is_up;
      // Down on one tick only, up at the next: its silence crossed peer_heard_within by a
      // heartbeat or two (S01's churn holds links down up to 2 s, as long as the window), a
      // blip and not a flap. Neither change counts.
      if (is_up && link.down_tick == h.tick - 1 && !link.transitions.empty()) {
        link.transitions.pop_back();
        continue;
      }
      if (!is_up) link.down_tick = h.tick;
      link.transitions.push_back(model.now);
    }
  }
  for (size_t u = 0; u < n; ++u) {
    if (fresh_of[u] < 0) continue;
    const uint32_t a = model.nodes[u].number;
    heard_[a] = std::move(fresh[fresh_of[u]]);
    heard_known_[a] = 1;
  }
  last_build_ = model.build;
  listed_ = std::move(listed);
  const absl::Duration window = in.config.flap_window;
  for (auto it = links_.begin(); it != links_.end();) {
    LinkHistory& link = it->second;
    while (!link.transitions.empty() && model.now - link.transitions.front() > window) {
      link.transitions.pop_front();
    }
    if (link.transitions.empty()) {
      links_.erase(it++);
      continue;
    }
    const uint32_t a = static_cast<uint32_t>(it->first >> 32);
    const uint32_t b = static_cast<uint32_t>(it->first);
    link.fading = link.up && a < index_of.size() && b < index_of.size() &&
                  Fading(model, in.config.peer_heard_within, index_of[a], index_of[b]);
    if (link.fading) link.last_fading = model.now;
    ++it;
  }
}

void DetectFlappingLinks(const DetectorInput& in, std::vector<Verdict>& out) {
  const AnalysisHistory& h = in.history;
  const int min_transitions = static_cast<int>(NumberOf(in.config, kFlapMinTransitions));
  const absl::Duration quiet = WindowOf(in.config, kFlapQuiet);
  for (const auto& [key, link] : StateOf<LinkFlaps>(in).links()) {
    if (static_cast<int>(link.transitions.size()) < min_transitions) continue;
    const absl::Time unsteady = std::max(link.transitions.back(), link.last_fading);
    if (in.model.now - unsteady > quiet && !link.fading) continue;
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
const Detector kFlappingLinkDetector{.name = "flapping_link",
                                     .run = DetectFlappingLinks,
                                     .kinds = kKinds,
                                     .windows = kWindows,
                                     .own_windows = kOwnWindows,
                                     .own_numbers = kOwnNumbers,
                                     .make_state = MakeState<LinkFlaps>};

}  // namespace guts::collector
