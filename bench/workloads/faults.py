"""A page-fault-heavy program: each round builds fresh buffers (new pages
faulted in), fills a list of small objects and sums it. `faults.py [ROUNDS]`."""

from __future__ import annotations

import sys


def round_(n: int) -> int:
    buf = bytearray(16 * 1024 * 1024)  # fresh pages: 4096 faults
    for i in range(0, len(buf), 4096):
        buf[i] = i & 0xFF
    items = [str(i) * 3 for i in range(n)]
    return sum(len(s) for s in items) + buf[4096]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    total = 0
    for _ in range(rounds):
        total += round_(50_000)
    print(total)


if __name__ == "__main__":
    main()
