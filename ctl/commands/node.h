// gutsctl node show X; node history X --since 30m
#pragma once

#include "CLI/CLI.hpp"
#include "ctl/commands/command.h"

namespace guts::ctl {

// Adds the subcommands with their help and examples to `root`; the one that parses stores
// its runner in `selected` (see command.h).
void AddNodeCommands(CLI::App& root, CommandRun& selected);

}  // namespace guts::ctl
