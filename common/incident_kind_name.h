// IncidentKindName: the name of an incident's kind, for rendering, alert names and metric
// labels. Incident.kind_name when set (every incident the collector writes, including kinds
// without an IncidentKind value); the enum value's name for incidents stored before the field
// existed.
//
// Example:
//   labels["alertname"] = IncidentKindName(incident);  // "PARTITION_NO_QUORUM"
#pragma once

#include <string>

#include "guts/diag/v1/incident.pb.h"

namespace guts {

inline const std::string& IncidentKindName(const guts::diag::v1::Incident& incident) {
  return incident.kind_name().empty() ? guts::diag::v1::IncidentKind_Name(incident.kind())
                                      : incident.kind_name();
}

}  // namespace guts
