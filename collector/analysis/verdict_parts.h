// The pieces detectors build verdicts from: node names sorted by id, node groups with
// their weight, links, and durations as text. Pure functions of the model; thread-safe.
//
// Example:
//   v.nodes = SortedNodeNames(model, cut_nodes);
//   v.groups.push_back(NodeGroupOf(model, side, model.quorum_weight));
//   v.evidence["no new block for"] = SecondsText(stalled);  // "12.3 s"
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "collector/analysis/fleet_model.h"
#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

// The ids of `nodes` (indices into model.nodes) sorted by id (model.rank).
std::vector<std::string> SortedNodeNames(const FleetModel& model, const std::vector<int>& nodes);

// `nodes` as a NodeGroup: names sorted by id, summed weight, highest height, and
// whether the weight reaches `quorum_weight` (never when it is 0).
guts::diag::v1::NodeGroup NodeGroupOf(const FleetModel& model, const std::vector<int>& nodes,
                                      uint64_t quorum_weight);

// "{v1,v2} (200)": the group's nodes (FewNamesText, below) and weight.
std::string GroupText(const guts::diag::v1::NodeGroup& group);

// How many names a summary or a timeline entry shows of a list that the incident holds whole.
// A 10 000-node split named in full made every summary and timeline entry 100 KB long.
inline constexpr int kNamesShown = 32;

// The first kNamesShown of `names` joined by ",", then ",... (N nodes)" when there are more.
// `names`: any container of std::string (a vector, a repeated proto field).
template <typename Names>
std::string FewNamesText(const Names& names) {
  const int n = static_cast<int>(names.size());
  std::string text = absl::StrJoin(names.begin(), names.begin() + std::min(n, kNamesShown), ",");
  if (n > kNamesShown) absl::StrAppend(&text, ",... (", n, " nodes)");
  return text;
}

// "12.3 s".
std::string SecondsText(absl::Duration d);

// The directed link from -> to (indices into model.nodes).
guts::diag::v1::Link MakeLink(const FleetModel& model, int from, int to);

}  // namespace guts::collector
