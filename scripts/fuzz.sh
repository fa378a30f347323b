#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzzer.cc) with clang into build/fuzz and runs each one
# for a bounded time on its committed seed corpus (fuzz/corpus/<target>/). Exits non-zero when
# any target crashes, leaks, times out or fails to build; the crashing input is left in
# build/fuzz/artifacts/.
#
# Usage: scripts/fuzz.sh [target...]          (default: every target)
#   GUTS_FUZZ_SECONDS  seconds per target (default 20)
#   GUTS_FUZZ_JOBS     build parallelism (default 2)
# Reproduce a finding: build/fuzz/bin/<target> build/fuzz/artifacts/<target>-crash-<sha1>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
seconds="${GUTS_FUZZ_SECONDS:-20}"

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for source in "$root"/fuzz/*_fuzzer.cc; do
    targets+=("$(basename "$source" .cc)")
  done
fi

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found; run scripts/install-deps.sh (clang, libclang-rt-14-dev)" >&2
  exit 1
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DGUTS_FUZZ=ON -DGUTS_WERROR=OFF \
  -DGUTS_BUILD_TESTS=OFF -DGUTS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "${GUTS_FUZZ_JOBS:-2}" --target "${targets[@]}"

mkdir -p "$build/artifacts"
failed=()
for target in "${targets[@]}"; do
  seeds="$root/fuzz/corpus/$target"
  # New inputs go to a scratch corpus, never into the committed seeds.
  work="$build/corpus/$target"
  mkdir -p "$work"
  echo "== $target: ${seconds}s on $(find "$seeds" -type f | wc -l) seeds"
  if ! "$build/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
      "$work" "$seeds" >"$build/$target.log" 2>&1; then
    tail -n 60 "$build/$target.log" >&2
    failed+=("$target")
  else
    grep -E "^stat::number_of_executed_units|^Done" "$build/$target.log" || true
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, no findings"
