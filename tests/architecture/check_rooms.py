#!/usr/bin/env python3
"""Checks the include graph between the project's rooms (docs/architecture.md, "Rooms").

Fails (exit 1, naming every offending include) when:
  - a file outside agent/ includes an "agent/..." header, except the agent's own tests, the
    fuzz targets of agent parsers and the few suites listed in AGENT_INCLUDERS that drive the
    agent and the collector together;
  - a shared room (common/, bundle_format/) includes a product room (agent/, collector/, ctl/,
    sim/);
  - the collector's rooms include each other in a cycle. Nodes are the folders
    collector/<room>/ and, one each, the files directly in collector/ (foo.h and foo.cc are one
    node "foo"); an include of "collector/..." is an edge;
  - a collector room (collector/<room>/) includes a file directly in collector/ (the assembly
    above the rooms: collector, config, main, the analysis loop, the validators file), except
    the interfaces the assembly hands down to the rooms (HANDED_DOWN).

Usage: check_rooms.py <source root>          check the tree
       check_rooms.py --self-test             check that the rules catch planted offences
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SOURCE_SUFFIXES = (".h", ".hpp", ".cc", ".cpp")
SKIP_DIRS = {"build", ".git", "node_modules"}

# Besides agent/ itself: folders and files that may include agent/ headers, and why.
AGENT_INCLUDERS = (
    "tests/agent/",  # the agent's tests
    "tests/agent/bundle/",  # the agent side of bundles (agent/bundle/)
    "fuzz/",  # libFuzzer targets of the agent's parsers
    "tests/bundle/transport_test.cc",  # agent uploads to a collector desk, in one process
    "tests/security/fuzz_findings_test.cc",  # replays fuzz findings in agent parsers
)
SHARED_ROOMS = ("common/", "bundle_format/")
# Files directly in collector/ that collector rooms may include: interfaces the assembly
# implements and hands down (the bundle room's RPCs, which queries and ingest forward to).
HANDED_DOWN = ("bundle_rpcs",)
PRODUCT_ROOMS = ("agent/", "collector/", "ctl/", "sim/")


def sources(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, root).replace(os.sep, "/"), path


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return INCLUDE.findall(f.read())


def collector_node(path):
    """collector/<room>/... -> '<room>/', collector/foo.{h,cc} -> 'foo'; None outside."""
    if not path.startswith("collector/"):
        return None
    rest = path[len("collector/"):]
    if "/" in rest:
        return rest.split("/", 1)[0] + "/"
    return os.path.splitext(rest)[0]


def find_cycle(edges):
    """One cycle of the directed graph as a list of nodes (first == last), or None."""
    colour = {}
    stack = []

    def visit(node):
        colour[node] = "grey"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if colour.get(nxt) == "grey":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in colour:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        colour[node] = "black"
        return None

    for node in sorted(edges):
        if node not in colour:
            found = visit(node)
            if found:
                return found
    return None


def check(root):
    problems = []
    edges = {}  # collector node -> {node: "file: include" witness}
    witness = {}
    for rel, path in sources(root):
        for inc in includes(path):
            if inc.startswith("agent/") and not rel.startswith("agent/") and not any(
                    rel == allowed or (allowed.endswith("/") and rel.startswith(allowed))
                    for allowed in AGENT_INCLUDERS):
                problems.append(f'{rel}: includes "{inc}" (agent/ is private to the agent)')
            if rel.startswith(SHARED_ROOMS) and inc.startswith(PRODUCT_ROOMS):
                problems.append(f'{rel}: includes "{inc}" (a shared room depends on no product)')
            src, dst = collector_node(rel), collector_node(inc)
            if (src is not None and src.endswith("/") and dst is not None and
                    not dst.endswith("/") and dst not in HANDED_DOWN):
                problems.append(f'{rel}: includes "{inc}" (an edge up: a collector room '
                                "includes none of the assembly's files)")
            if src is not None and dst is not None and src != dst:
                edges.setdefault(src, set()).add(dst)
                witness.setdefault((src, dst), f'{rel} includes "{inc}"')
    cycle = find_cycle(edges)
    if cycle:
        steps = [witness[(a, b)] for a, b in zip(cycle, cycle[1:])]
        problems.append("collector rooms include each other in a cycle: " + " -> ".join(cycle) +
                        "\n    " + "\n    ".join(steps))
    return problems, edges


def self_test():
    planted = {
        "agent/source.h": "",
        "ctl/bundle_file.cc": '#include "agent/bundle/sha256.h"\n',
        "tests/ctl/x_test.cc": '#include "agent/config.h"\n',
        "tests/agent/ok_test.cc": '#include "agent/config.h"\n',
        "common/x.h": '#include "collector/store/store.h"\n',
        "collector/fleet/fleet_state.cc": '#include "collector/analysis/peer_address.h"\n',
        "collector/analysis/fleet_model.h": '#include "collector/fleet/fleet_view.h"\n',
        "collector/query/q.h": '#include "collector/analysis_loop.h"\n',
        "collector/analysis_loop.h": '#include "collector/store/store.h"\n',
        "collector/ingest/ok.h": '#include "collector/bundle_rpcs.h"\n',
    }
    with tempfile.TemporaryDirectory() as root:
        for rel, text in planted.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        problems, edges = check(root)
    text = "\n".join(problems)
    expected = ["ctl/bundle_file.cc", "tests/ctl/x_test.cc", "common/x.h",
                "cycle: analysis/ -> fleet/ -> analysis/", "collector/query/q.h"]
    missing = [e for e in expected if e not in text]
    wrong = [p for p in problems if "tests/agent/ok_test.cc" in p or "ingest/ok.h" in p]
    if missing or wrong or len(problems) != 5 or "analysis_loop" not in edges.get("query/", ()):
        print("self-test failed; problems found:\n" + text)
        print("missing:", missing, "wrongly flagged:", wrong)
        return 1
    print("self-test ok: the planted offences were all caught, the allowed includes were not")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems, edges = check(argv[1])
    for p in problems:
        print(p)
    if problems:
        return 1
    print("rooms ok; collector include graph:")
    for src in sorted(edges):
        print(f"  {src} -> {', '.join(sorted(edges[src]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
