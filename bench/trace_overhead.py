"""Overhead of pyrometer's deterministic tracing, against cProfile and yappi.

Runs on ONE Python: the interpreter executing this script (``bench/trace.sh``
runs it on every CPython 3.9-3.15). For each workload it times, each in a
fresh child process so that no two profilers ever share an interpreter:

* plain: no profiler;
* cProfile: ``cProfile.Profile()`` enabled around the workload;
* yappi: wall clock, builtins on, started around the workload;
* pyrometer: ``pyrometer._core.Tracer()`` (the default: builtins on);
* pyrometer without builtins: ``Tracer(builtins=False)``;
* the interpreter hook floor of both pyrometer configurations:
  ``Tracer(_floor=True)`` installs the very same interpreter hooks with empty
  callbacks, so it measures what the interpreter's hook dispatch costs by
  itself, a floor that no profiler using those hooks can go below.

    python bench/trace_overhead.py [--quick] [--repeat N] [--only fib|julia]

Overhead factor = profiled time / plain time. The target: pyrometer's
overhead (factor - 1) is at most half of cProfile's.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any, Callable, NamedTuple

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
RESULT_TAG = "TRACE_OVERHEAD_RESULT "
TARGET = 0.5  # pyrometer's overhead as a fraction of cProfile's, at most


class Config(NamedTuple):
    key: str
    label: str


CONFIGS: list[Config] = [
    Config("plain", "plain (no profiler)"),
    Config("cprofile", "cProfile"),
    Config("yappi", "yappi (wall clock, builtins)"),
    Config("pyro", "pyrometer (default: builtins=True)"),
    Config("pyro-nobuiltins", "pyrometer, builtins=False"),
    Config("floor", "interpreter hook floor (no-op callbacks)"),
    Config("floor-nobuiltins", "interpreter hook floor (no-op callbacks), builtins=False"),
]
COMPARED = ("pyro", "pyro-nobuiltins")  # the rows judged against the target
WORKLOADS = ("fib", "julia")


# ==== child: one configuration, one workload ====


def load_workload(name: str, size: int) -> tuple[str, Callable[[], Any]]:
    """The workload as (title, zero-argument callable) from ``examples/``."""
    sys.path.insert(0, EXAMPLES)
    if name == "fib":
        from fib import fib  # type: ignore[import-not-found]

        return f"fib({size})", lambda: fib(size)
    from julia import calc_pure_python  # type: ignore[import-not-found]

    return (f"julia width {size}, max_iterations=300", lambda: calc_pure_python(desired_width=size, max_iterations=300))


def checksum(value: Any) -> int:
    """A number the workload's result must produce under every profiler."""
    return value if isinstance(value, int) else sum(value)


class Profiler:
    """Start/stop one fresh profiler of a configuration (plain: nothing)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.hooks = ""
        self._obj: Any = None
        if key == "cprofile":
            import cProfile

            self._obj = cProfile.Profile()
        elif key == "yappi":
            import yappi  # type: ignore[import-not-found]

            yappi.set_clock_type("wall")
            yappi.clear_stats()
            self._obj = yappi
        elif key != "plain":
            from pyrometer import _core

            kwargs: dict[str, Any] = {"builtins": not key.endswith("nobuiltins")}
            if key.startswith("floor"):
                kwargs["_floor"] = True
            self._obj = _core.Tracer(**kwargs)

    def start(self) -> None:
        if self.key == "cprofile":
            self._obj.enable()
        elif self.key == "yappi":
            self._obj.start(builtins=True)
        elif self._obj is not None:
            self._obj.start()

    def stop(self) -> None:
        """Stop, and check that a real profiler recorded something."""
        if self.key == "cprofile":
            self._obj.disable()
            self._obj.create_stats()
            recorded = len(self._obj.stats)
        elif self.key == "yappi":
            self._obj.stop()
            recorded = len(self._obj.get_func_stats())
        elif self._obj is not None:
            self._obj.stop()
            profile = self._obj.profile()
            self.hooks = profile.meta.get("hooks", "?")
            recorded = profile.counts["calls"]
            if self.key.startswith("floor"):
                if recorded:
                    raise RuntimeError(f"{self.key}: the floor recorded {recorded} calls")
                return
        else:
            return
        if not recorded:
            raise RuntimeError(f"{self.key}: the profiler recorded nothing")


def child(key: str, workload: str, size: int, repeat: int) -> None:
    """Time the workload under one configuration; print one result line.

    One warm-up run, then ``repeat`` timed runs in this same process, each
    with a fresh profiler; the best (smallest) time is reported. Only the
    workload call is timed: the profiler is created and started before the
    clock starts, stopped and checked after it stops.
    """
    if key not in {c.key for c in CONFIGS} or workload not in WORKLOADS:
        raise SystemExit(f"unknown configuration or workload: {key} {workload}")
    _, fn = load_workload(workload, size)
    times: list[float] = []
    check: int | None = None
    hooks = ""
    for i in range(repeat + 1):
        prof = Profiler(key)
        with contextlib.redirect_stdout(io.StringIO()):  # julia prints a line per call
            prof.start()
            t0 = time.perf_counter()
            value = fn()
            t1 = time.perf_counter()
            prof.stop()
        hooks = prof.hooks
        check = checksum(value)
        if i:  # run 0 is the warm-up
            times.append(t1 - t0)
    print(RESULT_TAG + json.dumps({"best": min(times), "check": check, "hooks": hooks}))


# ==== parent: spawn the children, print the table ====


def run_child(key: str, workload: str, size: int, repeat: int) -> dict[str, Any]:
    """One fresh interpreter for one (configuration, workload) measurement."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", key, workload, str(size), str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return dict(json.loads(line[len(RESULT_TAG) :]))
    err = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
    return {"error": err}


def yappi_status() -> str | None:
    """None if yappi can be imported here, else why not."""
    try:
        import yappi  # type: ignore[import-not-found]  # noqa: F401
    except ImportError as e:
        return f"{type(e).__name__}: {e}"
    return None


def bench(workload: str, size: int, repeat: int, configs: list[Config]) -> bool:
    """Measure and print one workload; False if a run failed or gave a wrong result.

    A MISS is printed, not failed: timings are a measurement, not a test.
    """
    title, _ = load_workload(workload, size)
    results = {c.key: run_child(c.key, workload, size, repeat) for c in configs}
    plain = results["plain"]
    if "error" in plain:
        print(f"\n{title}: plain run FAILED: {plain['error']}")
        return False
    print(f"\n{title}: plain {plain['best']:.4f} s")
    cprof = results.get("cprofile", {})
    cprof_over = cprof["best"] / plain["best"] - 1 if "best" in cprof else None
    ok = True
    width = max(len(c.label) for c in configs)
    print(f"  {'':<{width}}  {'time':>10}  {'factor':>7}  {'(pyro-1)/(cProfile-1)':<21}  hooks")
    for c in configs[1:]:
        r = results[c.key]
        if "error" in r:
            print(f"  {c.label:<{width}}  FAILED: {r['error']}")
            ok = False
            continue
        factor = r["best"] / plain["best"]
        verdict = ""
        if c.key in COMPARED:
            if cprof_over is not None and cprof_over > 0:
                frac = (factor - 1) / cprof_over
                verdict = f"{frac:5.2f} {'PASS' if frac <= TARGET else 'MISS'}"
            else:
                verdict = "n/a (no cProfile overhead)"
        line = f"  {c.label:<{width}}  {r['best']:8.4f} s  {factor:6.2f}x  {verdict:<21}  {r.get('hooks', '')}"
        if r["check"] != plain["check"]:
            line += f"  WRONG RESULT {r['check']} != {plain['check']}"
            ok = False
        print(line.rstrip())
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fib(25), julia 200, repeat 2: a smoke test")
    p.add_argument("--repeat", type=int, default=None, help="timed runs per measurement, best kept (5)")
    p.add_argument("--only", choices=WORKLOADS, help="one workload only")
    p.add_argument("--child", nargs=4, metavar=("CONFIG", "WORKLOAD", "SIZE", "REPEAT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        key, workload, size, repeat = args.child
        child(key, workload, int(size), int(repeat))
        return 0

    repeat = args.repeat or (2 if args.quick else 5)
    sizes = {"fib": 25, "julia": 200} if args.quick else {"fib": 30, "julia": 500}
    configs = list(CONFIGS)
    print(f"CPython {platform.python_version()} ({sys.executable})")
    print(f"best of {repeat} timed runs after 1 warm-up, one fresh process per configuration")
    print(f"factor = profiled / plain; target: (pyro-1)/(cProfile-1) <= {TARGET:g}")
    from pyrometer import _core

    print(
        f"one event timestamp ({_core.clock_source()}) costs {_core.clock_cost():.1f} ns here; "
        "an exact profiler takes two per call"
    )

    why = yappi_status()
    if why:
        print(f"yappi: SKIPPED, cannot import it ({why})")
        configs = [c for c in configs if c.key != "yappi"]
    ok = True
    for workload in [args.only] if args.only else WORKLOADS:
        ok = bench(workload, sizes[workload], repeat, configs) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
