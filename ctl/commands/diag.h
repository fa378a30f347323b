// gutsctl diag collect --node X | --nodes a,b | --all; diag list; diag get ID
#pragma once

#include "CLI/CLI.hpp"
#include "ctl/commands/command.h"

namespace guts::ctl {

// Adds the subcommands with their help and examples to `root`; the one that parses stores
// its runner in `selected` (see command.h).
void AddDiagCommands(CLI::App& root, CommandRun& selected);

}  // namespace guts::ctl
