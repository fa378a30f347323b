#include "collector/analysis/analysis_warm_up.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/analysis/verdict_parts.h"

namespace guts::collector {

namespace {

// Its stream is open, and a snapshot taken after the stream opened is stored: what the spool
// replayed came before it.
bool CaughtUp(const NodeObservation& node) {
  return node.connected && node.latest != nullptr && node.latest->seq() >= HelloOf(node).next_seq();
}

}  // namespace

AnalysisWarmUp AnalysisWarmUpOf(const FleetView& view, absl::Duration longest,
                                absl::Duration settle) {
  AnalysisWarmUp w;
  const absl::Time started = view.collector.started;
  if (started == absl::InfinitePast() || view.now - started >= longest) return w;
  std::vector<std::string> waiting;
  int known = 0;
  absl::Time newest_arrival = absl::InfinitePast();  // since the start
  for (const NodeObservation& node : view.nodes) {
    if (node.latest == nullptr && !node.connected) continue;
    ++known;
    if (!CaughtUp(node)) waiting.push_back(node.node_id);
    if (node.first_seen >= started) newest_arrival = std::max(newest_arrival, node.first_seen);
  }
  // No agent yet: nothing to judge, and the first arrivals are still to come.
  const bool arriving = known == 0 || view.now - newest_arrival < settle;
  if (waiting.empty() && !arriving) return w;
  w.warming = true;
  if (known == 0) {
    w.why = absl::StrCat("analysis warming up after the collector's start: no agent yet, at most ",
                         SecondsText(longest - (view.now - started)), " more");
    return w;
  }
  if (waiting.empty()) {
    w.why = absl::StrCat("analysis warming up after the collector's start: ", known,
                         " agents so far, the newest ", SecondsText(view.now - newest_arrival),
                         " ago; waiting until none has arrived for ", SecondsText(settle),
                         ", at most ", SecondsText(longest - (view.now - started)), " more");
    return w;
  }
  constexpr size_t kNamed = 5;
  std::string names =
      absl::StrJoin(waiting.begin(), waiting.begin() + std::min(waiting.size(), kNamed), ", ");
  if (waiting.size() > kNamed) absl::StrAppend(&names, ", ...");
  w.why = absl::StrCat(
      "analysis warming up after the collector's start: ", known - static_cast<int>(waiting.size()),
      " of ", known, " agents back and caught up (waiting for ", names, "), at most ",
      SecondsText(longest - (view.now - started)), " more");
  return w;
}

}  // namespace guts::collector
