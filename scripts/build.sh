#!/usr/bin/env bash
# Configures and builds into build/<name>. Usage: scripts/build.sh <name> [cmake args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="$1"
shift
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build/$name" -G Ninja "$@" >/dev/null
cmake --build "$root/build/$name"
