#!/usr/bin/env python3
"""The library's module graph: which top-level module of src/ uses which (every `crate::x`
path outside tests, `use` or not), printed one line a module; exits 1 when a module reaches
itself through others (an import cycle). Usage: python3 .ci/modules.py"""
import collections
import pathlib
import re
import sys

src = pathlib.Path(__file__).resolve().parent.parent / "src"
edges = collections.defaultdict(set)
for path in sorted(src.rglob("*.rs")):
    rel = path.relative_to(src)
    top = rel.parts[0].removesuffix(".rs")
    # The binary (main.rs, cli/) and the crate root are not modules of the library's graph.
    if top in ("main", "cli", "lib") or rel.name == "tests.rs":
        continue
    edges[top]
    code = path.read_text().split("#[cfg(test)]")[0]
    # Doc comments may link anywhere; only code counts.
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("//"))
    for used in re.findall(r"crate::([a-z_]+)", code):
        if used != top:
            edges[top].add(used)


def reach(start):
    seen, todo = set(), [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


for module in sorted(edges):
    print(f"{module:9} -> {', '.join(sorted(edges[module])) or '(nothing)'}")
cycles = [m for m in sorted(edges) if m in reach(m)]
if cycles:
    print(f"import cycles through: {', '.join(cycles)}", file=sys.stderr)
    sys.exit(1)
print("no import cycles")
