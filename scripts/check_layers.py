"""Check that core/ keeps its layers: each folder includes only itself and the layers it may use.

model < pyabi < remote < record, and format uses model only (see README, Layout). Prints each
include that crosses a layer the wrong way and exits 1 if there is one.
"""

from __future__ import annotations

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED = {
    "model": {"model"},
    "pyabi": {"model", "pyabi"},
    "remote": {"model", "pyabi", "remote"},
    "record": {"model", "pyabi", "remote", "record"},
    "format": {"model", "format"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main() -> int:
    bad = 0
    core = os.path.join(ROOT, "core")
    for layer in sorted(os.listdir(core)):
        folder = os.path.join(core, layer)
        if not os.path.isdir(folder):
            continue
        if layer not in ALLOWED:
            print(f"core/{layer}/: not a known layer (add it to scripts/check_layers.py)")
            bad += 1
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(folder, name)) as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                used = inc.split("/", 1)[0] if "/" in inc else None
                if used not in ALLOWED[layer]:
                    print(f"core/{layer}/{name}: includes {inc!r}, but {layer}/ may use only {sorted(ALLOWED[layer])}")
                    bad += 1
    print(f"{bad} layer violation(s)" if bad else "core/ layers: ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
