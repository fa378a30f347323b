// gutsctl completion bash|zsh (walks the root app: register it last)
#pragma once

#include "CLI/CLI.hpp"
#include "ctl/commands/command.h"

namespace guts::ctl {

// Adds the subcommands with their help and examples to `root`; the one that parses stores
// its runner in `selected` (see command.h).
void AddCompletionCommand(CLI::App& root, CommandRun& selected);

}  // namespace guts::ctl
