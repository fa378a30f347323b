// Runbook: the operators' runbook that applies to an incident kind, with its first steps.
#pragma once

#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

guts::diag::v1::Runbook RunbookFor(guts::diag::v1::IncidentKind kind);

}  // namespace guts::collector
