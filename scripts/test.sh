#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with -Werror, runs the whole
# suite through ctest and exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Line tables only (-g1): failures still point at file:line, and a cold build takes a third less
# time than with full debug info.
"$root/scripts/build.sh" test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGUTS_WERROR=ON \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
cd "$root/build/test"
# Two passes: everything but the scenario rows two at a time (they use the cores), then the
# scenario rows four at a time (each is a fleet of real processes that mostly waits on its
# windows, about a tenth of a core, on a loopback range of its own). Both passes always run.
status=0
ctest --output-on-failure --timeout 600 -j2 -LE scenarios || status=$?
ctest --output-on-failure --timeout 600 -j4 -L scenarios || status=$?
exit "$status"
