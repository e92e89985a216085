"""A tight loop whose body is one line, N iterations (10 M by default), in a function decorated
with kernprof's bare @profile: two line events per iteration, nothing else. The line-timing
workload of bench/lines_overhead.py that shows what one line event costs.

    python lines_tight.py [N]

Prints `LINES_BENCH {"time": s, "check": n}`: the time of the loop's function alone."""
import json
import sys
import time

try:
    profile  # noqa: B018 (kernprof -l and pyrometer run --mode lines put it in builtins)
except NameError:
    def profile(func):
        return func


@profile
def tight(n):
    total = 0
    for i in range(n):
        total += i
    return total


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    t0 = time.perf_counter()
    value = tight(n)
    elapsed = time.perf_counter() - t0
    print("LINES_BENCH " + json.dumps({"time": elapsed, "check": value}))
