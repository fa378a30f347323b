// FleetSeries: what the analysis knows, as Prometheus series for alerting rules and dashboards
// — one series per open incident, per node the figures the node itself does not export
// (lag against the quorum, peers heard, weight, whether its agent is connected), the fleet's
// components and quorum margin, and, behind a flag, who hears whom.
//
// Cardinality: per incident and per node series grow with the fleet (a handful per node);
// the per-link series are N² and are written only when asked, and then for at most
// `max_link_series` links (the analysis fills its matrix up to 256 nodes; default bound 4096,
// i.e. a fleet of 64 nodes in full). Past the bound no link is written and
// guts_fleet_link_series_truncated says so. Validators in the set without an agent are counted
// (guts_fleet_unobserved_validators, _weight) and named one series each
// (guts_validator_unobserved) up to `max_unobserved_series` (default 256); past it only the
// counts are written and guts_fleet_unobserved_series_truncated says so.
//
// Example:
//   std::string text = RenderFleetSeries(fleet_status, analysis.Latest().get(), pusher, {});
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "collector/alerting/alert_pusher.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

struct FleetSeriesOptions {
  bool link_series = false;  // --metrics-link-series
  size_t max_link_series = 4096;
  size_t max_unobserved_series = 256;  // --metrics-max-unobserved-series
};

// Prometheus text of the series above. `topology` and `alerting` may be null (not yet
// analysed; no alert endpoint).
std::string RenderFleetSeries(const guts::diag::v1::FleetStatus& fleet,
                              const guts::diag::v1::Topology* topology,
                              const AlertPusherFigures* alerting,
                              const FleetSeriesOptions& options);

}  // namespace guts::collector
