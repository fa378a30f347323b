#!/usr/bin/env bash
# The ingest ceiling as a picture: ack p99 against the offered rate, one line per repeat, from
# the "ingest_step" lines that bench/compare/ceilings.sh writes into a run's results.jsonl
# (offered_per_s, acked_per_s, ack_p99_ms, pass, repeat). A step that failed (p99 over 100 ms
# or under 95 % of the offered rate acked) is drawn as a red cross; the dashed line is the
# 100 ms limit. When the run has "floor_step" lines too (the same steps against
# guts-grpc-floor, which only parses and acks), they are drawn dashed: gRPC's own ceiling with
# the same generator. Drawn with gnuplot (Debian's gnuplot-nox).
#
# Usage: bench/compare/plot_ingest.sh RESULTS [OUT_PREFIX]
#   RESULTS     a run's results.jsonl, or the run's directory holding it
#   OUT_PREFIX  where to write (default: <run dir>/ingest_p99): OUT_PREFIX.svg and .png
# Prints the files written; prints nothing and exits 0 when the run has no ingest steps.
set -euo pipefail

results="${1:?usage: plot_ingest.sh RESULTS [OUT_PREFIX]}"
[[ -d "$results" ]] && results="$results/results.jsonl"
[[ -f "$results" ]] || { echo "plot_ingest: no $results" >&2; exit 1; }
prefix="${2:-$(dirname "$results")/ingest_p99}"
for tool in gnuplot jq; do
  command -v "$tool" >/dev/null ||
    { echo "plot_ingest: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done

data="$(mktemp)"
floor="$(mktemp)"
trap 'rm -f "$data" "$floor"' EXIT
# steps MEASURE: one block per repeat (two blank lines between blocks: gnuplot's "index"),
# steps by rate. Columns: offered/s, acked/s, ack p99 ms, pass (1/0).
steps() {
  jq -r --arg m "$1" 'select(.bench == "ceilings" and .measure == $m)
         | [.repeat, .offered_per_s, .acked_per_s, .ack_p99_ms, .pass] | @tsv' "$results" |
    sort -k1,1n -k2,2n |
    awk -F'\t' 'NR > 1 && $1 != last { printf "\n\n" } { print $2, $3, $4, $5; last = $1 }'
}
steps ingest_step >"$data"
steps floor_step >"$floor"
[[ -s "$data" ]] || exit 0
blocks=$(($(grep -c '^$' "$data") / 2 + 1))
floor_blocks=0
[[ -s "$floor" ]] && floor_blocks=$(($(grep -c '^$' "$floor") / 2 + 1))
ymax="$(cat "$data" "$floor" |
  awk 'NF { if ($3 > m) m = $3 } END { m *= 2; print (m > 300 ? m : 300) }')"
load="$(sed -n 's/^load average (1 min) during the run: //p' "$(dirname "$results")/machine.txt" \
  2>/dev/null || true)"
when="$(sed -n 's/^date: \([^ ]* [^ ]* UTC\).*/\1/p' "$(dirname "$results")/machine.txt" \
  2>/dev/null || true)"

# The floor's steps, dashed, when the run has them (a gnuplot plot element list ending in ", ").
floor_lines=""
if ((floor_blocks > 0)); then
  floor_lines="for [i=0:$((floor_blocks - 1))] \"$floor\" index i using 1:3 with linespoints dt 3 \
lw 1 pt 6 lc rgb \"gray40\" title (i == 0 ? \"gRPC alone (guts-grpc-floor), each repeat\" : \"\"), \
\"$floor\" using 1:(\$4 == 0 ? \$3 : 1/0) with points pt 2 ps 2 lc rgb \"red\" notitle, "
fi

plot() {  # plot TERMINAL OUTPUT
  gnuplot <<EOF
set terminal $1 size 800,560 font "sans,11"
set output "$2"
set title "guts-collector ingest: ack p99 against the offered rate${when:+\\n$when}${load:+, 1-min load $load}"
set xlabel "snapshots offered per second (1 000 streams, load generator on the same machine)"
set ylabel "ack p99 (ms, log scale)"
set logscale y
set grid ytics xtics
set key below
# From 0 snapshots/s; the 100 ms line always inside the picture.
set xrange [0:*]
set yrange [1:$ymax]
set offsets 0, graph 0.05, 0, 0
f(x) = 100
plot for [i=0:$((blocks - 1))] "$data" index i using 1:3 with linespoints lw 2 pt 7 \
       title sprintf("guts-collector, repeat %d", i + 1), \
     "$data" using 1:(\$4 == 0 ? \$3 : 1/0) with points pt 2 ps 2 lc rgb "red" \
       title "step failed", \
     ${floor_lines}f(x) with lines dt 2 lc rgb "black" title "100 ms limit"
EOF
}
plot svg "$prefix.svg"
plot pngcairo "$prefix.png"
echo "$prefix.svg"
echo "$prefix.png"
