// AnalysisWarmUp: whether a collector that just started may judge the fleet yet. At start the
// fleet state comes back from the store as it was when the collector stopped: every node
// disconnected, its latest snapshot old, and the agents' spools about to replay what the
// collector missed. Until each agent is back and its replay is through, silence and old peer
// views say nothing about the nodes, only about the collector's own absence. While warming up
// the analysis opens, clears and confirms nothing: no page for a transient "silent to the
// collector" of its own start, and incidents restored from the store are confirmed or resolved
// by the analysis of the fleet as it is now, not as it was (a split healed while the collector
// was down is not paged again when it returns).
//
// A collector that starts with an empty store knows no node yet; its agents arrive one by one,
// at their own pace. Judged while they arrive, a validator whose agent has not connected yet,
// or whose peers' agents have not reported yet, looks lost ("up 5 of 7 ... lost: v1,v7"), and
// a fleet that is whole pages QUORUM_AT_RISK. So the warm-up also lasts until no agent has
// arrived for `settle` (the analysis passes peer_heard_within: the time a newcomer's peers take
// to show they hear it).
//
// The warm-up ends when every node the collector knows has its stream open again and has stored
// a snapshot taken after that stream opened (seq >= Hello.next_seq), and no node was first seen
// within `settle`; or at `longest` after the start: an agent that does not come back is then
// judged like any silent node.
//
// Example:
//   AnalysisWarmUp w = AnalysisWarmUpOf(view, config.warm_up_longest, config.peer_heard_within);
//   if (w.warming) { ... hold every incident change, say w.why ... }
#pragma once

#include <string>

#include "absl/time/time.h"
#include "collector/fleet/fleet_view.h"

namespace guts::collector {

struct AnalysisWarmUp {
  bool warming = false;
  std::string why;  // operator's words, e.g. "warming up after start: 5 of 7 agents caught up"
};

// Whether the analysis of `view` is still warming up; never when view.collector.started is
// unknown (InfinitePast).
AnalysisWarmUp AnalysisWarmUpOf(const FleetView& view, absl::Duration longest,
                                absl::Duration settle);

}  // namespace guts::collector
