"""Overhead of exact line timing: pyrometer's `run --mode lines` against line_profiler's
`kernprof -l` and against the floor of the hooks it uses.

Runs on ONE Python: the interpreter executing this script (``bench/lines.sh`` runs it on every
CPython 3.9-3.15). Workloads (``bench/workloads/lines_*.py``, each with its hot function decorated
by kernprof's bare ``@profile``): the Julia set, a tight loop whose body is one line (10 M
iterations) and recursive fib. Each is run, each time as a fresh process:

* plain: ``python workload.py`` (``@profile`` is then a no-op the workload defines);
* kernprof: ``python -m kernprof -l -q -o X.lprof workload.py`` (line_profiler from PyPI);
* pyrometer: ``pyrometer run --mode lines -o X.json workload.py``;
* floor: this script as a driver, with ``pyrometer._core.LineTimer(_floor=True)`` choosing the
  same functions: the very same interpreter hooks on the same code, whose line callback only
  reads the clock and adds to one counter. No line timer built on those hooks can go below it;
* not chosen: this script as a driver, with a running ``pyrometer._core.LineTimer`` that chose a
  function of its own (never called) and asks a matcher (as ``--function`` and ``--module`` do)
  about every other code object, while ``@profile`` chooses nothing: what code that is not
  chosen pays while pyrometer times other lines (the hot call is then not timed at all).

The workload times its own hot call (``LINES_BENCH {"time": ..., "check": ...}``), so start-up
and the writing of the profile are not counted. The configurations alternate within each of
``--repeat`` rounds (default 3); the best time of each is kept.

    python bench/lines_overhead.py [--quick] [--repeat N] [--only julia|tight|fib]

overhead = profiled time / plain time. Targets: pyrometer's overhead (factor - 1) at most a
third of kernprof's on every workload; on the tight loop pyrometer's time within 25% of the
floor's. Each is printed as pass or FAIL: a measurement, not a test (the exit status is non-zero
only when a run failed or changed the workload's result).
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import platform
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"
TAG = "LINES_BENCH "
CONFIGS = ("plain", "kernprof", "pyrometer", "floor", "unchosen")
LABELS = {
    "plain": "plain python",
    "kernprof": "kernprof -l (line_profiler)",
    "pyrometer": "pyrometer run --mode lines",
    "floor": "floor (LineTimer(_floor=True))",
    "unchosen": "running, hot code not chosen",
}
KERNPROF_TARGET = 1 / 3  # pyrometer's overhead as a fraction of kernprof's, at most
FLOOR_TARGET = 1.25  # pyrometer's time on the tight loop as a multiple of the floor's, at most


class Workload:
    def __init__(self, key: str, script: str, size: int, quick: int, title: str) -> None:
        self.key, self.script, self.size, self.quick, self.title = key, script, size, quick, title


WORKLOAD_LIST = [
    Workload("julia", "lines_julia.py", 400, 150, "Julia set, width {}, hot function timed"),
    Workload("tight", "lines_tight.py", 10_000_000, 1_000_000, "tight one-line loop, {:,} iterations"),
    Workload("fib", "lines_fib.py", 27, 20, "fib({}), recursive"),
]


# ==== the floor's child: this script as the driver ====


def driver_child(script: str, args: list[str], floor: bool) -> None:
    """Run `script` as __main__ under a LineTimer: with `floor`, a floor timer
    choosing what @profile decorates; else a timer that chose only a function
    of its own and refuses every other code object, @profile a no-op."""
    from pyrometer import _core

    timer = _core.LineTimer(_floor=floor)

    def profile(func: Callable[..., Any]) -> Callable[..., Any]:
        if floor:
            timer.add_code(func.__code__)
        return func

    def never_called() -> None:
        pass

    if not floor:
        timer.add_code(never_called.__code__)
        timer.set_matcher(lambda code: False)

    builtins.profile = profile  # type: ignore[attr-defined]
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    timer.start()
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        timer.stop()
    if not timer.chosen:
        raise SystemExit("floor: no function was chosen")


# ==== the parent ====


def command(config: str, script: Path, size: int, tmp: str) -> list[str]:
    py = sys.executable
    if config == "plain":
        return [py, str(script), str(size)]
    if config == "kernprof":
        return [py, "-m", "kernprof", "-l", "-q", "-o", os.path.join(tmp, "out.lprof"), str(script), str(size)]
    if config == "pyrometer":
        pyro = str(Path(py).with_name("pyrometer"))
        return [pyro, "run", "--mode", "lines", "-o", os.path.join(tmp, "out.json"), str(script), str(size)]
    return [py, os.path.abspath(__file__), f"--{config}", str(script), str(size)]


def run_one(config: str, script: Path, size: int) -> dict[str, Any]:
    """One fresh process; its LINES_BENCH result, with what the profiler recorded checked."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(command(config, script, size, tmp), capture_output=True, text=True)
        result: dict[str, Any] | None = None
        for line in proc.stdout.splitlines():
            if line.startswith(TAG):
                result = dict(json.loads(line[len(TAG) :]))
        if proc.returncode != 0 or result is None:
            err = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            return {"error": err}
        if config == "pyrometer":
            doc = json.loads(Path(tmp, "out.json").read_text())
            result["hooks"] = doc.get("meta", {}).get("hooks", "?")
            if not any(ln["hits"] for f in doc["functions"] for ln in f["lines"]):
                return {"error": "pyrometer recorded no hits"}
        elif config == "kernprof":
            import line_profiler  # type: ignore[import-not-found]

            stats = line_profiler.load_stats(os.path.join(tmp, "out.lprof"))
            if not any(n for rows in stats.timings.values() for _, n, _ in rows):
                return {"error": "kernprof recorded no hits"}
        return result


def kernprof_status() -> str | None:
    """None if line_profiler can be imported here, else why not."""
    try:
        import line_profiler  # noqa: F401
    except ImportError as e:
        return f"{type(e).__name__}: {e}"
    return None


def bench(w: Workload, size: int, repeat: int, configs: list[str]) -> bool:
    """Measure and print one workload; False if a run failed or gave a wrong result."""
    script = WORKLOADS / w.script
    best: dict[str, dict[str, Any]] = {}
    for _ in range(repeat):  # interleaved: every configuration once per round
        for config in configs:
            if "error" in best.get(config, {}):
                continue  # a failure is kept: it is what the table shows
            r = run_one(config, script, size)
            if "error" in r or config not in best or r["time"] < best[config]["time"]:
                best[config] = r
    title = w.title.format(size)
    plain = best["plain"]
    if "error" in plain:
        print(f"\n{title}: plain run FAILED: {plain['error']}")
        return False
    print(f"\n{title}: plain {plain['time']:.4f} s")
    ok = True
    width = max(len(LABELS[c]) for c in configs)
    for config in configs[1:]:
        r = best[config]
        if "error" in r:
            print(f"  {LABELS[config]:<{width}}  FAILED: {r['error']}")
            ok = False
            continue
        factor = r["time"] / plain["time"]
        line = f"  {LABELS[config]:<{width}}  {r['time']:8.4f} s  overhead {factor:6.2f}x"
        if r.get("hooks"):
            line += f"  ({r['hooks']})"
        if r["check"] != plain["check"]:
            line += f"  WRONG RESULT {r['check']} != {plain['check']}"
            ok = False
        print(line)
    pyro, kern, floor = best.get("pyrometer", {}), best.get("kernprof", {}), best.get("floor", {})
    if "time" in pyro and "time" in kern:
        pyro_over = pyro["time"] / plain["time"] - 1
        kern_over = kern["time"] / plain["time"] - 1
        frac = pyro_over / kern_over if kern_over > 0 else float("inf")
        verdict = "pass" if frac <= KERNPROF_TARGET else "FAIL"
        print(f"  pyrometer/kernprof overhead: {frac:.2f} (target <= 1/3): {verdict}")
    elif "time" in pyro:
        print("  pyrometer/kernprof overhead: n/a (no kernprof run)")
    if "time" in pyro and "time" in floor:
        ratio = pyro["time"] / floor["time"]
        target = ""
        if w.key == "tight":
            target = f" (target <= {FLOOR_TARGET:g}): {'pass' if ratio <= FLOOR_TARGET else 'FAIL'}"
        print(f"  pyrometer/floor time: {ratio:.2f}{target}")
    return ok


def main(argv: list[str] | None = None) -> int:
    doc = __doc__ or ""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 2 rounds: a smoke test, numbers are noise")
    p.add_argument("--repeat", type=int, default=None, help="rounds, best time of each configuration kept (3)")
    p.add_argument("--only", choices=[w.key for w in WORKLOAD_LIST], help="one workload only")
    p.add_argument("--floor", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.add_argument("--unchosen", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for child in ("floor", "unchosen"):
        if getattr(args, child):
            driver_child(getattr(args, child)[0], getattr(args, child)[1:], child == "floor")
            return 0

    repeat = args.repeat or (2 if args.quick else 3)
    print(f"CPython {platform.python_version()} ({sys.executable})")
    print(f"best of {repeat} rounds, configurations interleaved, one fresh process per run;")
    print("each workload times its own hot call; overhead = profiled time / plain time")
    configs = list(CONFIGS)
    why = kernprof_status()
    if why:
        print(f"kernprof: SKIPPED, cannot import line_profiler ({why})")
        configs.remove("kernprof")
    else:
        import line_profiler

        print(f"line_profiler {line_profiler.__version__}")
    ok = True
    for w in WORKLOAD_LIST:
        if args.only and w.key != args.only:
            continue
        ok = bench(w, w.quick if args.quick else w.size, repeat, configs) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
