// gutsctl incidents [--all]; incident show ID
#pragma once

#include "CLI/CLI.hpp"
#include "ctl/commands/command.h"

namespace guts::ctl {

// Adds the subcommands with their help and examples to `root`; the one that parses stores
// its runner in `selected` (see command.h).
void AddIncidentCommands(CLI::App& root, CommandRun& selected);

}  // namespace guts::ctl
