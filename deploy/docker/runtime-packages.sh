#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries the given binaries link, one per
# line. The image build installs exactly these in the runtime stage, so the runtime libraries
# follow the builder's (scripts/apt-packages.txt) and never drift from them.
# Usage: runtime-packages.sh BINARY...
set -euo pipefail
(($# > 0)) || { echo "usage: runtime-packages.sh BINARY..." >&2; exit 2; }
linked=""
for binary in "$@"; do
  out="$(ldd "$binary")" || { echo "runtime-packages: ldd $binary failed" >&2; exit 1; }
  linked+="$(awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$out")"$'\n'
done
mapfile -t libs < <(grep -v '^$' <<<"$linked" | xargs -r readlink -f | sort -u)
((${#libs[@]} > 0)) || { echo "runtime-packages: no shared libraries found in $*" >&2; exit 1; }
# usrmerge: dpkg may know a library under /lib or under /usr/lib; ask for both names at once.
candidates=()
for lib in "${libs[@]}"; do candidates+=("$lib" "${lib#/usr}" "/usr${lib#/usr}"); done
owners="$(dpkg -S "${candidates[@]}" 2>/dev/null || true)"
owned_paths="$(awk -F': ' '{print $NF}' <<<"$owners")"
for lib in "${libs[@]}"; do
  base="${lib#/usr}"
  if ! grep -qxF -e "$base" -e "/usr$base" <<<"$owned_paths"; then
    echo "runtime-packages: no package owns $lib" >&2
    exit 1
  fi
done
sed -E 's/^([^:]+)(:[^:]+)?: .*/\1/' <<<"$owners" | sort -u
