#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with -Werror, runs the whole
# suite through ctest and exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGUTS_WERROR=ON
cd "$root/build/test"
ctest --output-on-failure --timeout 600 -j2
