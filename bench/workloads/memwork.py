"""What the memory workloads of bench/memory_overhead.py share: argument, timing, the result line.

Each workload (mem_*.py) calls run(hot, default_size, decorate): `hot(size)` is timed alone and
its check value printed as one line `MEM_BENCH {"time": s, "check": n}`. With MEM_BENCH_DECORATE=1
in the environment, `decorate` is given `profile` from builtins (what `python -m memory_profiler`
puts there) so that the workload's hot function is profiled line by line: the same program,
memory_profiler's @profile variant of it."""
import builtins
import json
import os
import sys
import time


def run(hot, default_size, decorate=None):
    size = int(sys.argv[1]) if len(sys.argv) > 1 else default_size
    if os.environ.get("MEM_BENCH_DECORATE") == "1":
        if not hasattr(builtins, "profile"):
            raise SystemExit("MEM_BENCH_DECORATE=1 but no profile in builtins")
        decorate(builtins.profile)
    t0 = time.perf_counter()
    check = hot(size)
    elapsed = time.perf_counter() - t0
    print("MEM_BENCH " + json.dumps({"time": elapsed, "check": check}), flush=True)
