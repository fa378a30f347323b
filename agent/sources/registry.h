// The list of sources the agent runs, built from its configuration. Adding a source is one
// line here (agent/sources/registry.cc) and one file under agent/sources/.
//
// Example:
//   std::vector<std::unique_ptr<Source>> sources = BuildSources(config);
#pragma once

#include <memory>
#include <vector>

#include "agent/config.h"
#include "agent/source.h"

namespace guts::agent {

std::vector<std::unique_ptr<Source>> BuildSources(const AgentConfig& config);

}  // namespace guts::agent
