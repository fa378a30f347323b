// Dot renderer: the peer graph as Graphviz text, pure and golden-testable.
//
// Components are clusters (green outline when they hold the quorum, red when not), links
// heard both ways are plain lines, cut edges between components are dashed red lines, cut
// edges inside a component (the only path) are bold orange, one-way links are red arrows from
// the node that is not heard to the one that does not hear it, bridges are orange nodes and
// silent nodes grey dashed boxes. Thread-safe; no I/O.
//
// Example:
//   std::string dot = RenderDot(topology);  // then `dot -Tpng` (see ctl/graphviz.h)
#pragma once

#include <string>

#include "guts/diag/v1/fleet.pb.h"

namespace guts::ctl {

std::string RenderDot(const guts::diag::v1::Topology& topology);

}  // namespace guts::ctl
