// gutsctl as a function: parses the command line, runs the command, returns the exit code.
//
// Exit codes: 0 ok, 1 error (the collector unreachable, a failed call), 2 usage (unknown
// command, bad flag), 3 the fleet has an open P1 incident (fleet status, incidents).
// `terminal` says whether `out` is a terminal: colour (unless --no-color or NO_COLOR), progress
// bars and in-place refresh are only used then. Not thread-safe (signal handlers, env).
//
// Example (main):
//   return RunGutsctl(argc, argv, std::cout, std::cerr, isatty(STDOUT_FILENO));
#pragma once

#include <iosfwd>

namespace guts::ctl {

int RunGutsctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
               bool terminal);

}  // namespace guts::ctl
