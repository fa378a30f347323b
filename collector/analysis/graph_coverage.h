// GraphCoverage: whether the peer graph holds enough of the fleet this tick for its verdicts to
// mean anything. A split, a bridge, an isolation or a node no peer hears is judged over the
// nodes in the graph (reporting, with peer data, process up); a node outside it is neither on a
// side nor a witness. When most of the fleet drops out of the graph at the same moment (agents
// late to a starved collector, peer sources timing out on a loaded host, node processes stalled
// together), the few nodes left can show any shape: two nodes whose link churned for a moment
// became "a network split 1|1, no side holds quorum" while both still heard the five others
// (S01's soak). Many agents going silent at once is the collector's or the host's problem, not
// many node failures; so, like the blind collector (collector_blindness.h), the graph verdicts
// then neither open nor clear, and the fleet status says why.
//
// The nodes the graph should hold are those with a snapshot whose agent has not closed its
// stream (an agent that closed it is gone, not late: a node killed with its agent is evidence,
// not blindness). The coverage is partial when the graph holds at most half of them.
//
// Example:
//   GraphCoverage c = GraphCoverageOf(model);
//   if (c.partial) { ... hold graph verdicts, say c.why ... }
#pragma once

#include <string>

#include "collector/analysis/fleet_model.h"

namespace guts::collector {

struct GraphCoverage {
  int in_graph = 0;  // reporting, with peer data, process up
  int expected = 0;  // with a snapshot, agent stream not closed
  bool partial = false;
  std::string why;  // operator's words, empty unless partial
};

// Thread-safe (a pure function of the model).
GraphCoverage GraphCoverageOf(const FleetModel& model);

}  // namespace guts::collector
