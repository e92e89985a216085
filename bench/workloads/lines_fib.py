"""Recursive fib(N) (25 by default: 242785 calls), decorated with kernprof's bare @profile: the
line-timing workload of bench/lines_overhead.py where calls, not lines, dominate.

    python lines_fib.py [N]

Prints `LINES_BENCH {"time": s, "check": fib(N)}`: the time of the outer call alone."""
import json
import sys
import time

try:
    profile  # noqa: B018 (kernprof -l and pyrometer run --mode lines put it in builtins)
except NameError:
    def profile(func):
        return func


@profile
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    t0 = time.perf_counter()
    value = fib(n)
    elapsed = time.perf_counter() - t0
    print("LINES_BENCH " + json.dumps({"time": elapsed, "check": value}))
