#!/usr/bin/env bash
# Link launcher of guts-agent (RULE_LAUNCH_LINK, agent/CMakeLists.txt): runs the link command
# it is given with gRPC, protobuf, abseil, re2, c-ares, upb, zlib and libarchive taken from
# Debian's static archives instead of their shared libraries.
#
# Why: a shared library costs the agent's RSS its relocated data, its symbol tables and every
# 64 KiB window of code the kernel maps around a page fault; the ~60 shared libraries of gRPC's
# stack made most of the agent's 23 MiB RSS. Linked in, only the code the agent calls is in
# the binary: RSS 23.1 -> 17.8 MiB (docs/benchmarks.md). OpenSSL, libstdc++, spdlog, fmt,
# prometheus-cpp and cpp-httplib stay shared (no static archive in Debian, or a shared library
# that needs them: cpp-httplib links the shared OpenSSL, which gRPC then shares).
#
# How: every argument that names one of those shared libraries (a path ending in .so or
# .so.<version>, or -l<name>) is dropped, and the matching archives are put, as one
# --start-group, right after the last archive of the command (the project's own libraries,
# which reference them); the shared libraries left after it still resolve what the archives
# need. A library whose archive is missing stays shared.
set -euo pipefail

static_names='^(grpc\+\+|grpc|gpr|upb|address_sorting|cares|re2|protobuf|absl_[a-z0-9_]+|z|archive)$'
archives=()
args=()
last_archive=-1
add_archive() {  # add_archive NAME: true if lib<NAME>.a exists and was added (once)
  local a
  for d in /usr/lib/x86_64-linux-gnu /usr/lib/"$(uname -m)"-linux-gnu /usr/lib; do
    a="$d/lib$1.a"
    if [[ -f "$a" ]]; then
      [[ " ${archives[*]} " == *" $a "* ]] || archives+=("$a")
      return 0
    fi
  done
  return 1
}
for arg in "$@"; do
  name=""
  if [[ "$arg" =~ /lib([^/]+)\.so(\.[0-9.]+)?$ ]]; then
    name="${BASH_REMATCH[1]}"
  elif [[ "$arg" =~ ^-l(.+)$ ]]; then
    name="${BASH_REMATCH[1]}"
  fi
  if [[ -n "$name" && "$name" =~ $static_names ]] && add_archive "$name"; then
    continue
  fi
  [[ "$arg" != *.a ]] || last_archive=${#args[@]}
  args+=("$arg")
done
if ((${#archives[@]} > 0)); then
  group=(-Wl,--start-group "${archives[@]}" -Wl,--end-group)
  args=("${args[@]:0:last_archive+1}" "${group[@]}" "${args[@]:last_archive+1}")
fi
exec "${args[@]}"
