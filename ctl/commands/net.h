// gutsctl net partitions | net matrix | net graph -o dot|svg|png [--file F]
#pragma once

#include "CLI/CLI.hpp"
#include "ctl/commands/command.h"

namespace guts::ctl {

// Adds the subcommands with their help and examples to `root`; the one that parses stores
// its runner in `selected` (see command.h).
void AddNetCommands(CLI::App& root, CommandRun& selected);

}  // namespace guts::ctl
