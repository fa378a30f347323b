#!/usr/bin/env python3
"""Reads the JSON lines of bench/compare/*.sh (files or stdin) and prints Markdown tables:
the median of every figure over the repeats and the ratios (theirs / ours, so > 1 means we
are cheaper). Usage: summarize.py RESULTS.jsonl..."""
import json
import statistics
import sys
from collections import defaultdict


def load(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    return rows


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def ratio(theirs, ours):
    if theirs is None or ours in (None, 0):
        return "n/a"
    return f"{theirs / ours:.2f}x"


def collector_vs_prometheus(rows):
    rows = [r for r in rows if r.get("bench") == "collector_vs_prometheus"]
    if not rows:
        return
    side = defaultdict(list)
    disk = {}
    for r in rows:
        if r.get("measure") == "disk":
            disk[r["side"]] = r
        else:
            side[r["side"]].append(r)
    ours, theirs = side["collector"], side["prometheus"]
    nodes = (ours or theirs)[0]["nodes"]
    print(f"### 1. Collector vs Prometheus ({nodes} nodes, 1 sample set per node per second)\n")
    print(f"repeats: collector {len(ours)}, Prometheus {len(theirs)} (medians)\n")
    print("| figure | guts-collector | Prometheus | Prometheus / collector | median of per-repeat ratios |")
    print("|---|---:|---:|---:|---:|")
    pairs = [(o, t) for o in ours for t in theirs if o["repeat"] == t["repeat"]]
    for key, label in [("cpu_s_per_1000_node_samples", "CPU s per 1000 node-samples"),
                       ("cpu_cores", "CPU (cores busy)"),
                       ("vmrss_mib", "RSS at end of window (MiB)"),
                       ("vmhwm_mib", "peak RSS, VmHWM (MiB)")]:
        a, b = med([r.get(key) for r in ours]), med([r.get(key) for r in theirs])
        pr = med([t[key] / o[key] for o, t in pairs if o.get(key)])
        print(f"| {label} | {fmt(a)} | {fmt(b)} | {ratio(b, a)} | {fmt(pr)}x |")
    per_try = med([t["cpu_s"] * 1000 / t["scrape_attempts"] for t in theirs if t.get("scrape_attempts")])
    ours_cpu = med([r.get("cpu_s_per_1000_node_samples") for r in ours])
    if per_try is not None:
        print(f"| (Prometheus per 1000 scrapes tried, failed ones included) | | {fmt(per_try)} | {ratio(per_try, ours_cpu)} | |")
    a = disk.get("collector", {}).get("bytes_per_node_day")
    b = disk.get("prometheus", {}).get("bytes_per_node_day")
    bc = disk.get("prometheus", {}).get("chunk_bytes_per_node_day")
    print(f"| bytes on disk per node per day (MB) | {fmt(a and a / 1e6)} | {fmt(b and b / 1e6)} | {ratio(b, a)} | |")
    print(f"| (Prometheus chunks only, no index) | | {fmt(bc and bc / 1e6)} | {ratio(bc, a)} | |")
    a = med([r.get("node_samples") for r in ours])
    b = med([r.get("node_samples") for r in theirs])
    print(f"| node-samples in the window | {fmt(a)} | {fmt(b)} | | |")
    tries = med([r.get("scrape_attempts") for r in theirs])
    if tries:
        print(f"| scrapes that succeeded | | {100 * b / tries:.1f} % of {fmt(tries)} | | |")
    incidents = [r.get("open_incidents") for r in ours if r.get("open_incidents") is not None]
    if incidents:
        fleet = "one healthy network" if all(r.get("consistent_fleet") for r in ours) else "peers matching no agent"
        print(f"| collector's open incidents at the window's end ({fleet}) | {', '.join(fmt(i) for i in incidents)} | | | |")
    a = (ours or [{}])[0].get("snapshot_bytes")
    b = med([r.get("samples_per_node_sample") for r in theirs])
    print(f"| what one node-sample is | one snapshot, {fmt(a)} B protobuf | one scrape, {fmt(b)} samples | | |")
    print()
    for name, r in sorted(disk.items()):
        print(f"- disk, {name}: " + ", ".join(f"{k}={v}" for k, v in r.items()
                                               if k not in ("bench", "side", "measure")))
    print()


def agent_vs_node_exporter(rows):
    rows = [r for r in rows if r.get("bench") == "agent_vs_node_exporter"]
    if not rows:
        return
    by_repeat = defaultdict(dict)
    for r in rows:
        by_repeat[r["repeat"]][r["side"]] = r
    ours = [v["agent"] for v in by_repeat.values() if "agent" in v]
    theirs = [v["node_exporter"] for v in by_repeat.values() if "node_exporter" in v]
    before = [v["agent_before"] for v in by_repeat.values() if "agent_before" in v]
    window = med([r["window_s"] for r in rows])
    print(f"### 2. Agent vs node_exporter (side by side, {len(by_repeat)} repeats of "
          f"{window:.0f} s, per hour extrapolated)\n")
    extra = " | agent before (AGENT_BEFORE)" if before else ""
    print(f"| figure | guts-agent | node_exporter | node_exporter / agent (median of per-repeat ratios){extra} |")
    print("|---|---:|---:|---:|" + ("---:|" if before else ""))
    for key, label in [("cpu_s_per_hour", "CPU s per hour"),
                       ("cpu_pct_of_core", "% of one core"),
                       ("vmrss_mib", "RSS at end of window (MiB)"),
                       ("vmhwm_mib", "peak RSS, VmHWM (MiB)"),
                       ("rss_anon_mib", "of the RSS: private (RssAnon, MiB)"),
                       ("rss_file_mib", "of the RSS: file pages (RssFile, MiB)"),
                       ("pss_mib", "PSS (MiB)"),
                       ("threads", "threads")]:
        a, b = med([r.get(key) for r in ours]), med([r.get(key) for r in theirs])
        pair = med([v["node_exporter"][key] / v["agent"][key] for v in by_repeat.values()
                    if "agent" in v and "node_exporter" in v and v["agent"].get(key)
                    and v["node_exporter"].get(key) is not None])
        tail = f" {fmt(med([r.get(key) for r in before]))} |" if before else ""
        print(f"| {label} | {fmt(a)} | {fmt(b)} | {fmt(pair)}x |{tail}")
    stored = med([r.get("snapshots_stored") for r in ours])
    if stored is not None:
        print(f"\nsnapshots the agent had stored by the collector in the window (median): {fmt(stored)}")
    print()


def detection(rows):
    rows = [r for r in rows if r.get("bench") == "detection"]
    if not rows:
        return
    lanes = len({r["lane"] for r in rows})
    print(f"### 3. Detection: our incidents vs the operators' rules ({lanes} lanes, medians)\n")
    print("| scenario | ours: detected | ours: after (s) | ours: first incident | rules: detected | rules: after (s) | rules: first new alert |")
    print("|---|---:|---:|---|---:|---:|---|")
    by = defaultdict(list)
    for r in rows:
        by[r["scenario"]].append(r)
    for scenario, rs in by.items():
        n = len(rs)
        od = [r["ours_detected_s"] for r in rs if r["ours_detected_s"] is not None]
        rd = [r["rules_detected_s"] for r in rs if r["rules_detected_s"] is not None]
        ok = sorted({r["ours_kind"] for r in rs})
        rk = sorted({r["rules_alert"] for r in rs})
        limit = rs[0]["timeout_s"]
        print(f"| {scenario} | {len(od)}/{n} | {fmt(med(od)) if od else f'none in {limit} s'} | "
              f"{', '.join(ok)} | {len(rd)}/{n} | {fmt(med(rd)) if rd else f'none in {limit} s'} | "
              f"{', '.join(rk)} |")
    noise = sorted({a for r in rows for a in r.get("rules_before", "").split(",") if a})
    if noise:
        print(f"\nalerts already firing on the healthy network (noise, excluded): {', '.join(noise)}")
    print()


def load_steps(rows, measure, key, label, extra, server="collector"):
    """One line per step of a ceiling (the medians over its repeats): `label` names the step
    from its key, `extra` adds the figures only that ceiling has."""
    steps = defaultdict(list)
    for r in rows:
        if r["measure"] == measure:
            steps[r[key]].append(r)
    for k in sorted(steps):
        s = steps[k]
        print(f"  - {label(k)}: acked {fmt(med([x['acked_per_s'] for x in s]))}/s, "
              f"p50 {fmt(med([x['ack_p50_ms'] for x in s]))} ms, "
              f"p99 {fmt(med([x['ack_p99_ms'] for x in s]))} ms, "
              f"{server} {fmt(med([x.get('collector_cpu_us_per_snapshot') for x in s]))} us CPU/snapshot "
              f"({fmt(med([x.get('collector_cpu_cores') for x in s]))} of a core), {extra(s)} ({len(s)} runs)")


def rate_ceiling(rows, measure, title, server):
    """A ceiling found by offering rates in turn (ceilings.sh's `steps`): its median over the
    repeats, then each rate's figures, `server` naming whose CPU they are."""
    ceil = [r for r in rows if r["measure"] == f"{measure}_ceiling"]
    if not ceil:
        return
    print(f"- {title}: {fmt(med([r['snapshots_per_s'] for r in ceil]))} snapshots/s with ack p99 <= 100 ms "
          f"({len(ceil)} repeats: {', '.join(str(r['snapshots_per_s']) for r in ceil)}; "
          f"{ceil[0]['agents']} streams)")
    load_steps(rows, f"{measure}_step", "offered_per_s", lambda rate: f"offered {rate:,.0f}/s",
               lambda s: f"load generator {fmt(med([x.get('loadgen_cpu_us_per_snapshot') for x in s]))} us "
                         f"({fmt(med([x.get('loadgen_cpu_cores') for x in s]))} of a core)",
               server=server)


def ceilings(rows):
    rows = [r for r in rows if r.get("bench") == "ceilings"]
    if not rows:
        return
    print("### 4. Ceilings (medians)\n")
    rate_ceiling(rows, "ingest", "ingest", "collector")
    floor = [r for r in rows if r["measure"] == "floor_ceiling"]
    if floor:
        what = "parse and ack only" if floor[0].get("parse", "full") == "full" else "count and ack only, no parse"
        rate_ceiling(rows, "floor", f"gRPC's own ceiling (guts-grpc-floor: {what}, same generator and steps)",
                     "guts-grpc-floor")
    fl = [r for r in rows if r["measure"] == "fleet_1hz"]
    if fl:
        print(f"- nodes per collector at 1 snapshot/s on the grid (ack p99 of a round <= 500 ms, half a "
              f"tick): {fmt(med([r['nodes_fit'] for r in fl]))}; with headroom (p99 <= 250 ms): "
              f"{fmt(med([r['nodes_with_headroom'] for r in fl]))} ({len(fl)} repeats: "
              f"{', '.join(str(r['nodes_fit']) for r in fl)}; first not fitting: "
              f"{', '.join(str(r['first_not_fitting']) for r in fl)})")
        load_steps(rows, "fleet_step", "agents", lambda n: f"{n:,} agents",
                   lambda s: f"max RSS {fmt(med([x.get('collector_max_rss_mib') for x in s]))} MiB, "
                             f"the generator's own send delay p99 {fmt(med([x.get('send_delay_p99_ms') for x in s]))} ms "
                             f"(ack p99 from the send {fmt(med([x.get('ack_from_send_p99_ms') for x in s]))} ms)")
    st = [r for r in rows if r["measure"] == "streams"]
    if st:
        print(f"- {st[0]['agents']:,} streams held at once ({fmt(st[0]['offered_per_s'])} snapshots/s in all): "
              f"collector max RSS {fmt(med([r['collector_max_rss_mib'] for r in st]))} MiB, VmHWM "
              f"{fmt(med([r['collector_vmhwm_mib'] for r in st]))} MiB (target < 512), ack p99 "
              f"{fmt(med([r['ack_p99_ms'] for r in st]))} ms, streams ended early "
              f"{fmt(med([r.get('streams_ended_early', 0) for r in st]))} ({len(st)} repeats: "
              f"{', '.join(fmt(r['collector_max_rss_mib']) for r in st)} MiB)")
    for r in sorted((r for r in rows if r["measure"] == "analysis_tick"),
                    key=lambda r: (r.get("fleet", ""), r["nodes"])):
        print(f"- analysis tick, {r.get('fleet', 'BM_AnalysisTick')}, {r['nodes']:,} nodes: {fmt(r['cpu_ms_median'])} ms CPU, "
              f"{fmt(r['wall_ms_median'])} ms wall (median of {r['repetitions']})")
    b = [r for r in rows if r["measure"] == "bundle"]
    if b:
        print(f"- bundle of a {b[0]['log_bytes'] / 1e6:.0f} MB log ({len(b)} repeats): "
              f"{fmt(med([r['seconds'] for r in b]))} s, agent peak RSS "
              f"{fmt(med([r['agent_vmhwm_mib'] for r in b]))} MiB (before: "
              f"{fmt(med([r['agent_vmhwm_before_mib'] for r in b]))}), collector peak "
              f"{fmt(med([r['collector_vmhwm_mib'] for r in b]))} MiB, gutsctl peak "
              f"{fmt(med([r['gutsctl_maxrss_mib'] for r in b]))} MiB, bundle "
              f"{fmt(med([r['bundle_bytes'] for r in b]) / 1e6)} MB")
    print()


def storage(rows):
    rows = [r for r in rows if r.get("bench") == "storage"]
    if not rows:
        return
    print("### 5. Bytes on disk, the same figures (store_bench; promtool block)\n")
    print("| store | bytes / snapshot (node-second) | per node-day | history of an hour, CPU ms |")
    print("|---|---:|---:|---:|")
    for r in rows:
        if r["side"] == "collector":
            print(f"| guts-collector, {r['layout']} | {fmt(r['bytes_per_snapshot'])} | "
                  f"{r['bytes_per_node_day'] / 1e6:.2f} MB | {fmt(r['history_hour_cpu_ms'])} "
                  f"({r['history_snapshots']:.0f} snapshots) |")
        else:
            print(f"| Prometheus, {r['series_per_node']:.0f} series per node | "
                  f"{fmt(r['bytes_per_node_second'])} | {r['bytes_per_node_day'] / 1e6:.2f} MB | |")
    print()


def main():
    rows = load(sys.argv[1:] or ["/dev/stdin"])
    collector_vs_prometheus(rows)
    agent_vs_node_exporter(rows)
    detection(rows)
    ceilings(rows)
    storage(rows)


if __name__ == "__main__":
    main()
