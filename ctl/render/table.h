// Table (human) renderers: pure functions from FleetService messages to terminal text.
//
// Times are rendered relative to the instant passed in (the collector's clock for fleet
// status, which carries it), never to the process clock, so that the output of a fixed
// message is fixed and golden-testable. Thread-safe; no I/O.
//
// Example:
//   std::cout << RenderFleetStatusTable(status, Style{.color = isatty(1)});
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ctl/render/text.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::ctl {

namespace v1 = ::guts::diag::v1;

// Open incidents first (severity, kind, what and where, since when), then one row per node,
// most troubled first: down, isolated, unreachable, degraded, unknown, healthy; then by lag.
std::string RenderFleetStatusTable(const v1::FleetStatus& status, const Style& style);

// One node: identity, state, consensus, system figures, peers, probes, source errors.
// `now` is the instant ages are shown against.
std::string RenderNodeDetailTable(const v1::NodeDetail& detail, absl::Time now, const Style& style);

// A node's history as one sparkline per figure (height, view, peers, CPU, memory), at most
// `width` characters each, with the first and last values.
std::string RenderNodeHistoryTable(absl::string_view node_id,
                                   const std::vector<v1::HistoryPoint>& points, size_t width,
                                   const Style& style);

// Components with weight and quorum, cut edges, bridges, one-way links, silent nodes.
std::string RenderPartitionsTable(const v1::Topology& topology, const Style& style);

// Who hears whom: rows listen, columns speak; each cell is the age of the last data heard.
std::string RenderMatrixTable(const v1::Topology& topology, const Style& style);

// Incidents as a table, most severe first; ages against `now`.
std::string RenderIncidentListTable(const v1::IncidentList& list, absl::Time now,
                                    const Style& style);

// One incident: summary, what it names, evidence, timeline, runbook steps.
std::string RenderIncidentTable(const v1::Incident& incident, absl::Time now, const Style& style);

// Stored and pending bundles.
std::string RenderBundleListTable(const v1::BundleList& list, const Style& style);

// One bundle's outcome in a line or two: state, file, size, sources, redactions.
// `file` is where the archive was written ("" when not downloaded).
std::string RenderBundleOutcome(const v1::BundleInfo& info, absl::string_view file,
                                const Style& style);

// Shared words: "P1", "PARTITION_NO_QUORUM", "healthy", painted by severity or state.
std::string SeverityLabel(v1::Severity severity, const Style& style);
std::string NodeStateLabel(v1::NodeState state, const Style& style);

}  // namespace guts::ctl
