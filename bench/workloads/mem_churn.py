"""Allocation-heavy: ROUNDS rounds (default 30) that each build and drop many small objects
(records as dicts, lists of them, formatted strings, tuples) and a few large buffers (an 8 MiB
bytearray filled and copied, a joined 600 KiB string), keeping a little from each round, so the
heap grows a bit and the allocator sees small and large blocks. python mem_churn.py [ROUNDS]

Check value: a sum over what was kept. memory_profiler's variant decorates one_round."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memwork

BIG = 8 * 1024 * 1024


def one_round(r, kept):
    records = []
    for i in range(6000):
        rec = {"id": i, "name": f"item-{r}-{i}", "tags": [i % 7, i % 11, str(i)], "pos": (i, r)}
        records.append(rec)
    index = {rec["name"]: rec for rec in records}
    words = [rec["name"].upper() for rec in records if rec["id"] % 3]
    text = " ".join(words)
    chunks = text.split(" ")
    buf = bytearray(BIG)
    buf[:: 4096] = b"x" * (BIG // 4096)
    copy = bytes(buf)
    page = "-".join(str(i) for i in range(100_000))
    kept.append((len(index), chunks[-1], copy[4096], page[-6:]))
    return len(chunks) + len(page)


def churn(rounds):
    kept = []
    total = 0
    for r in range(rounds):
        total += one_round(r, kept)
    return total + sum(n + c for n, _, c, _ in kept)


def decorate(profile):
    global one_round
    one_round = profile(one_round)


if __name__ == "__main__":
    memwork.run(churn, 30, decorate)
