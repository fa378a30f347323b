#include "collector/analysis/graph_coverage.h"

#include "absl/strings/str_cat.h"

namespace guts::collector {

GraphCoverage GraphCoverageOf(const FleetModel& model) {
  GraphCoverage c;
  for (const NodeFacts& f : model.nodes) {
    if (!f.has_snapshot || f.stream_closed) continue;
    ++c.expected;
    if (f.reporting && f.has_peer_data && !f.process_down) ++c.in_graph;
  }
  // One node alone has no peer to be judged against; two that both drop out are the collector
  // hearing none (collector_blindness.h).
  c.partial = c.expected >= 2 && c.in_graph * 2 <= c.expected;
  if (c.partial) {
    c.why = absl::StrCat("partial blindness: only ", c.in_graph, " of ", c.expected,
                         " nodes report their peers this tick (agents late, peer data missing or "
                         "node processes stalled at once: the collector's or the host's trouble "
                         "more likely than theirs); splits, isolations and node down are not "
                         "judged until most report again");
  }
  return c;
}

}  // namespace guts::collector
