// gutsctl maintenance declare|list|end: maintenance windows at run time.
#pragma once

#include "CLI/CLI.hpp"
#include "ctl/commands/command.h"

namespace guts::ctl {

// Adds the subcommands with their help and examples to `root`; the one that parses stores
// its runner in `selected` (see command.h).
void AddMaintenanceCommands(CLI::App& root, CommandRun& selected);

}  // namespace guts::ctl
