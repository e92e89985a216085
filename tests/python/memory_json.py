"""Reading a memory profile's JSON in the tests: per (file, line) sums of the
node metrics, found by column name as docs/json-format.md says."""

from __future__ import annotations

import json
from pathlib import Path

METRICS = ("alloc_bytes", "allocs", "freed_bytes", "peak_bytes", "peak_allocs", "leaked_bytes", "leaked_allocs")


def load(path: str | Path) -> dict:
    with open(path) as f:
        return json.load(f)


def by_line(doc: dict) -> dict[tuple[str, int], dict[str, int]]:
    """Each (file, line)'s own metrics, summed over every node (stack) that ends there."""
    fields = doc["node_fields"]
    col = {name: fields.index(name) for name in ("function", "line", *METRICS)}
    out: dict[tuple[str, int], dict[str, int]] = {}
    for row in doc["nodes"]:
        func = doc["functions"][row[col["function"]]]
        sums = out.setdefault((func["file"], row[col["line"]]), dict.fromkeys(METRICS, 0))
        for m in METRICS:
            sums[m] += row[col[m]]
    return out


def totals(doc: dict) -> dict[str, int]:
    """Each metric summed over every node."""
    fields = doc["node_fields"]
    return {m: sum(row[fields.index(m)] for row in doc["nodes"]) for m in METRICS}


def marker_lines(path: str | Path) -> dict[str, int]:
    """The line numbers of a target's `# NAME` markers, by NAME."""
    out = {}
    for number, text in enumerate(Path(path).read_text().splitlines(), 1):
        if "  # " in text:
            name = text.rsplit("  # ", 1)[1].strip()
            if name.isupper():
                out[name] = number
    return out


def negatives(doc: dict) -> list[str]:
    """Every negative number of the profile: node metrics and numeric metadata."""
    bad = []
    fields = doc["node_fields"]
    for i, row in enumerate(doc["nodes"]):
        for m in METRICS:
            if m in fields and row[fields.index(m)] < 0:
                bad.append(f"node {i} {m} = {row[fields.index(m)]}")
    for key, value in doc["meta"].items():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number < 0:
            bad.append(f"meta {key} = {value}")
    return bad
