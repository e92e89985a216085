"""``pyrometer bench``: repeatable timing with statistics, and A/B comparison.

The runner is here (calibration, worker processes, scripts, JSON files); the
statistics and the report are the C engine's (``_core.bench_*``); the worker
that times a statement is ``pyrometer._benchworker``.

Exit statuses of ``pyrometer bench``: 0 done; 1 a setup, statement or script
failed (its traceback or stderr is shown, no timing); 2 usage error; 3 the
``-o`` file cannot be written; 4 the ``--compare-to`` file is missing or not
a result of ``pyrometer bench``; 13 ``--min-speedup X`` and the speedup is
not shown with confidence (the lower bound of its interval is below X).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time

from . import __version__, _core

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any, Callable

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_BADFILE = 4
EXIT_SLOWER = 13

#: Workers x values per worker of the presets (pyperf's default is 20 x 3).
PRESETS = {"fast": (6, 3), "default": (20, 3), "rigorous": (40, 3)}
#: Runs of a script (each in its own process) unless -p says otherwise.
SCRIPT_RUNS = {"fast": 5, "default": 10, "rigorous": 30}
JSON_VERSION = 1


class BenchError(Exception):
    """A benchmark could not be run: `status` is the exit status to use,
    `detail` what the failing code printed (its traceback)."""

    def __init__(self, message: str, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class Bench:
    """The values of one benchmarked statement, script or function, and their
    statistics. Times are seconds per loop (one run of the statement)."""

    def __init__(
        self,
        name: str,
        wall: Sequence[float],
        cpu: Sequence[float] | None,
        loops: int,
        workers: int,
        kind: str = "statement",
        startup: Sequence[float] = (),
        warmup: Sequence[float] = (),
        maxrss: Sequence[float] = (),
        counters: dict[str, list[float]] | None = None,
    ) -> None:
        self.name = name
        self.wall = list(wall)
        self.cpu = None if cpu is None else list(cpu)
        self.loops = loops
        self.workers = workers
        self.kind = kind
        self.startup = list(startup)
        self.warmup = list(warmup)
        self.maxrss = list(maxrss)  # bytes: each worker's or run's peak RSS
        # each counter's value per loop (a script: per run), one per worker or run
        self.counters = {k: list(v) for k, v in (counters or {}).items()}

    @classmethod
    def run(
        cls,
        func: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        values: int = 20,
        warmups: int = 1,
        min_time: float = 0.1,
        gc: bool = True,
    ) -> Bench:
        """Time ``func(*args, **kwargs)`` in this process: `warmups` values
        dropped, then `values` values of a calibrated loop count (each lasting
        at least `min_time` seconds). In-process values share this process's
        state (caches, memory layout): the command line's worker processes are
        the more rigorous measurement."""
        import gc as gc_module

        kw = kwargs or {}
        loops = 1
        was_enabled = gc_module.isenabled()
        if not gc:
            gc_module.disable()
        try:
            while True:
                w, _ = _call_loop(func, args, kw, loops)
                if w >= min_time:
                    break
                loops = _benchworker().next_loops(loops, w, min_time)
            for _ in range(warmups):
                _call_loop(func, args, kw, loops)
            wall: list[float] = []
            cpu: list[float] = []
            span = _core.Span(_core.MEASURE_EVENTS_DEFAULT)
            span.start()
            for _ in range(values):
                w, c = _call_loop(func, args, kw, loops)
                wall.append(w / loops)
                cpu.append(c / loops)
            span.stop()
        finally:
            if was_enabled:
                gc_module.enable()
        name = getattr(func, "__qualname__", repr(func))
        counters = {k: [v / (loops * values)] for k, v in span.counters.items()}
        return cls(name, wall, cpu, loops, 0, kind="function", counters=counters)

    def stats(self, clock: str = "wall") -> dict[str, float]:
        """n, mean, stdev, median, min, max, mad and outliers of the values of
        `clock` ("wall" or "cpu")."""
        values = self.cpu if clock == "cpu" else self.wall
        if values is None:
            raise ValueError("no CPU time was measured")
        result: dict[str, float] = _core.bench_stats(values)
        return result

    @property
    def mean(self) -> float:
        return self.stats()["mean"]

    def compare(self, other: Bench, clock: str = "wall", confidence: float = 0.95) -> dict[str, Any]:
        """How many times faster `other` is than this one: speedup, its
        confidence interval (lo, hi), Welch's t-test on log times (t, df, p)
        and whether the difference is significant. Values from worker
        processes are compared by each worker's mean (docs/bench.md)."""
        if clock == "cpu" and (self.cpu is None or other.cpu is None):
            raise ValueError("no CPU time was measured")
        pair = [self.sample(clock), other.sample(clock)]
        result: dict[str, Any] = _core.bench_report(pair, clock, False, confidence)[1][0]
        return result

    def sample(self, clock: str = "wall", name: str | None = None) -> tuple[Any, ...]:
        """What ``_core.bench_report`` takes for this benchmark."""
        warm = sum(self.warmup) / len(self.warmup) if self.warmup and clock == "wall" else 0.0
        startup = self.startup if len(self.startup) == len(self.wall) else None
        rss = [v for v in self.maxrss if v > 0] or None
        name = self.name if name is None else name
        counters = {k: v for k, v in self.counters.items() if v} or None
        return (name, self.wall, self.cpu, float(self.loops), self.workers, startup, warm, rss, counters)

    def report(self, clock: str = "wall", verbose: bool = False) -> str:
        """The terminal report of this benchmark (with its warnings)."""
        text: str = _core.bench_report([self.sample(clock)], clock, verbose)[0]
        return text

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "loops": self.loops,
            "workers": self.workers,
            "wall": self.wall,
            "cpu": self.cpu,
            "stats": {"wall": self.stats("wall")},
        }
        if self.cpu is not None:
            d["stats"]["cpu"] = self.stats("cpu")
        if self.startup:
            d["startup"] = self.startup
        if self.warmup:
            d["warmup"] = self.warmup
        if self.maxrss:
            d["maxrss"] = self.maxrss
        if self.counters:
            d["counters"] = self.counters
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Bench:
        return cls(
            str(d["name"]),
            [float(v) for v in d["wall"]],
            None if d.get("cpu") is None else [float(v) for v in d["cpu"]],
            int(d["loops"]),
            int(d["workers"]),
            str(d.get("kind", "statement")),
            [float(v) for v in d.get("startup", [])],
            [float(v) for v in d.get("warmup", [])],
            [float(v) for v in d.get("maxrss", [])],
            {str(k): [float(x) for x in v] for k, v in d.get("counters", {}).items()},
        )

    def __repr__(self) -> str:
        return f"<Bench {self.name!r}: {len(self.wall)} values of {self.loops} loops>"


def bench(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Bench:
    """Time ``func(*args, **kwargs)`` (20 values of at least 0.1 s each after
    a warm-up, in this process) and return its statistics object; print
    ``result.report()`` to read it. ``Bench.run`` takes the options."""
    return Bench.run(func, args, kwargs)


def _call_loop(func: Callable[..., Any], args: Sequence[Any], kw: dict[str, Any], loops: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter, time.process_time
    w0, c0 = wall(), cpu()
    for _ in range(loops):
        func(*args, **kw)
    c1, w1 = cpu(), wall()
    return w1 - w0, c1 - c0


def _benchworker() -> Any:
    from . import _benchworker

    return _benchworker


# ==== workers ====


def _worker(request: dict[str, Any], python: str = sys.executable) -> dict[str, Any]:
    """Run one worker process on `request`; its reply. BenchError (status 1)
    with the worker's stderr when the code failed."""
    # the worker inherits the environment and the working directory as they
    # are: the statement sees what it would see when run by this Python
    proc = subprocess.run(
        [python, "-m", "pyrometer._benchworker"],
        input=json.dumps(request).encode(),
        capture_output=True,
    )
    if proc.returncode != 0:
        raise BenchError(
            f"{request['stmt']!r} (or its setup) raised an exception: no timing",
            EXIT_FAILED,
            proc.stderr.decode(errors="replace"),
        )
    reply: dict[str, Any] = json.loads(proc.stdout.decode().splitlines()[-1])
    return reply


class Variant:
    """One thing to benchmark: a statement (with its setup) or a script."""

    def __init__(self, text: str, setup: str, script: list[str] | None) -> None:
        self.text = text
        self.setup = setup
        self.script = script
        self.loops = 1
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.warmup: list[float] = []
        self.startup: list[float] = []
        self.maxrss: list[float] = []
        self.counters: dict[str, list[float]] = {}
        self.workers = 0

    def request(self, mode: str, **more: Any) -> dict[str, Any]:
        return {"mode": mode, "setup": self.setup, "stmt": self.text, **more}

    def result(self) -> Bench:
        kind = "script" if self.script else "statement"
        return Bench(
            self.text,
            self.wall,
            self.cpu,
            self.loops,
            self.workers,
            kind,
            self.startup,
            self.warmup,
            self.maxrss,
            self.counters,
        )

    def add_counters(self, counters: dict[str, float]) -> None:
        for k, v in counters.items():
            self.counters.setdefault(k, []).append(float(v))


def variant_of(text: str, setup: str) -> Variant:
    """A script when the text's first word names an existing .py file."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = []
    if words and words[0].endswith(".py") and os.path.isfile(words[0]):
        return Variant(text, setup, words)
    return Variant(text, setup, None)


def _run_script(argv: list[str], python: str = sys.executable) -> tuple[float, float, float, dict[str, float]]:
    """Wall and CPU seconds (user + sys, from wait4), the peak RSS in bytes
    and the counters (page faults, context switches, from wait4) of one run of
    `argv` under `python`. BenchError with its stderr when it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [python, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    proc.stderr.close()
    if proc.returncode != 0:
        raise BenchError(
            f"{shlex.join(argv)} failed with status {proc.returncode}", EXIT_FAILED, err.decode(errors="replace")
        )
    counters = {
        "page-faults": float(usage.ru_minflt + usage.ru_majflt),
        "context-switches": float(usage.ru_nvcsw + usage.ru_nivcsw),
    }
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024.0, counters


def run_variants(
    variants: Sequence[Variant],
    workers: int,
    values: int,
    warmups: int,
    min_time: float,
    gc: bool,
    progress: Callable[[str], None],
) -> None:
    """Fill each variant's values: statements calibrated, then `workers`
    worker processes each, interleaved across variants (A B A B ...) so that
    a change of the machine's load touches all of them alike; scripts run
    `workers` times each (after `warmups` runs), interleaved with the
    interpreter's start-up (`python -c pass`)."""
    calibrated: dict[tuple[str, str], int] = {}  # identical variants get the same loops
    for v in variants:
        if v.script is None:
            key = (v.setup, v.text)
            if key not in calibrated:
                calibrated[key] = _worker(v.request("calibrate", min_time=min_time, gc=gc))["loops"]
            v.loops = calibrated[key]
            progress(f"{v.text}: {v.loops} loops a value")
        else:
            for _ in range(warmups):
                _run_script(v.script)
    for i in range(workers):
        for v in variants:
            if v.script is None:
                r = _worker(v.request("values", loops=v.loops, values=values, warmups=warmups, gc=gc))
                v.wall += r["wall"]
                v.cpu += r["cpu"]
                v.warmup += r["warmup"]
                v.maxrss.append(float(r["maxrss"]))
                v.add_counters(r.get("counters", {}))
            else:
                w, c, rss, counters = _run_script(v.script)
                v.wall.append(w)
                v.cpu.append(c)
                v.maxrss.append(rss)
                v.add_counters(counters)
                v.startup.append(_run_script(["-c", "pass"])[0])
            v.workers += 1
        progress(f"worker {i + 1} of {workers}")


def check_outputs(variants: Sequence[Variant]) -> list[str]:
    """Run each variant once; a warning for each whose output differs from
    the first's, naming the first differing line."""
    outputs = []
    for v in variants:
        if v.script is None:
            outputs.append(_worker(v.request("check"))["output"])
        else:
            proc = subprocess.run([sys.executable, *v.script], stdin=subprocess.DEVNULL, capture_output=True)
            if proc.returncode != 0:
                raise BenchError(
                    f"{v.text} failed with status {proc.returncode}", EXIT_FAILED, proc.stderr.decode(errors="replace")
                )
            outputs.append(proc.stdout.decode(errors="replace"))
    warnings = []
    base = outputs[0].splitlines()
    for k, out in enumerate(outputs[1:], 1):
        lines = out.splitlines()
        if lines == base and out == outputs[0]:
            continue
        n = next((i for i, (a, b) in enumerate(zip(base, lines)) if a != b), min(len(base), len(lines)))
        a = repr(base[n]) if n < len(base) else "(no more output)"
        b = repr(lines[n]) if n < len(lines) else "(no more output)"
        warnings.append(
            f"warning: the output of {chr(65 + k)} differs from A's, first at line {n + 1}: A {a}, {chr(65 + k)} {b}"
        )
    return warnings


# ==== environment notes ====


def machine_notes() -> list[str]:
    """Notes on what makes timings less stable here: the CPU frequency
    governor and whether workers are pinned to isolated CPUs (read from
    /sys; nothing is said where it does not exist)."""
    notes = []
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") as f:
            governor = f.read().strip()
        if governor != "performance":
            notes.append(
                f"note: the CPU frequency governor is {governor!r}: the clock speed changes with the load "
                "('performance' keeps it steady)"
            )
    except OSError:
        pass
    try:
        with open("/sys/devices/system/cpu/isolated") as f:
            isolated = f.read().strip()
        if not isolated and hasattr(os, "sched_getaffinity"):
            notes.append(
                f"note: no CPU is isolated (isolcpus=): workers share the {len(os.sched_getaffinity(0))} CPU(s) "
                "they may run on with every other process"
            )
    except OSError:
        pass
    return notes


# ==== files ====


def save(path: str, results: Sequence[Bench], clock: str, comparisons: Sequence[dict[str, Any]]) -> None:
    doc = {
        "pyrometer_bench": JSON_VERSION,
        "pyrometer": __version__,
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "clock": clock,
        "benchmarks": [r.to_json() for r in results],
        "comparisons": list(comparisons),
    }
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def load(path: str) -> list[Bench]:
    """The benchmarks of a file written by ``-o``; BenchError (status 4)."""
    try:
        with open(path) as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or doc.get("pyrometer_bench") != JSON_VERSION:
            raise ValueError("not a result of pyrometer bench")
        return [Bench.from_json(d) for d in doc["benchmarks"]]
    except OSError as e:
        raise BenchError(f"cannot read {path!r}: {e.strerror}", EXIT_BADFILE) from None
    except (ValueError, KeyError, TypeError) as e:
        raise BenchError(f"{path!r} is not a result of pyrometer bench ({e})", EXIT_BADFILE) from None


# ==== command line ====

HELP_EPILOG = """\
a STATEMENT is timed in fresh worker processes (20 x 3 values after a
warm-up by default, each value calibrated to last at least --min-time); a
script (a .py file, with its arguments in one quoted word) runs whole in
its own process each time, like hyperfine: its values include the
interpreter's start-up, which is measured alongside (python -c pass) and
reported, not subtracted.

--compare A B [C ...] compares each one with A: the speedup with its
confidence interval and Welch's t-test on log times; --min-speedup X exits
with 13 unless each speedup's interval lies at or above X.

exit statuses: 0 done, 1 the setup, statement or script failed (its
traceback is shown, no timing), 2 usage, 3 cannot write -o, 4 bad
--compare-to file, 13 --min-speedup not shown.

examples:
  pyrometer bench -s "data = list(range(1000))" "sorted(data)"
  pyrometer bench --compare "sum(range(10000))" "sum(range(1000))"
  pyrometer bench --compare slow.py fast.py --min-speedup 5 --check-output
  pyrometer bench -o before.json "f()" -s "from mod import f"
  pyrometer bench --compare-to before.json "f()" -s "from mod import f"
"""


def parser() -> argparse.ArgumentParser:
    import argparse

    p = argparse.ArgumentParser(
        prog="pyrometer bench",
        description="Repeatable timing with statistics: timeit and pyperf done right, with a verdict.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", nargs="*", metavar="STATEMENT|script.py", help="what to time (several with --compare)")
    p.add_argument("-s", "--setup", default="pass", help="run before each value, untimed (default: pass)")
    p.add_argument(
        "--compare", action="store_true", help="compare the statements or scripts given, each with the first"
    )
    p.add_argument("--compare-to", metavar="FILE", help="compare this run with one kept by -o")
    p.add_argument("-p", "--processes", type=int, metavar="N", help="worker processes (scripts: runs)")
    p.add_argument("-n", "--values", type=int, metavar="N", help="values per worker (default 3)")
    p.add_argument("-w", "--warmups", type=int, default=1, metavar="N", help="warm-up values per worker (default 1)")
    p.add_argument("--min-time", type=float, default=0.1, metavar="S", help="a value lasts at least S s (default 0.1)")
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--fast", action="store_true", help="6 workers x 3 values (scripts: 5 runs)")
    speed.add_argument("--rigorous", action="store_true", help="40 workers x 3 values (scripts: 30 runs)")
    p.add_argument("--no-gc", action="store_true", help="turn the garbage collector off while timing, as timeit does")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="the time the statistics and verdict use (default wall)",
    )
    p.add_argument(
        "--confidence", type=float, default=0.95, metavar="C", help="of the intervals and tests (default 0.95)"
    )
    p.add_argument("--min-speedup", type=float, metavar="X", help="exit 13 unless the speedup is >= X with confidence")
    p.add_argument(
        "--check-output",
        action="store_true",
        help="run each variant once; warn when outputs differ (scripts compared: always)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="keep the results in a JSON file")
    p.add_argument("-v", "--verbose", action="store_true", help="progress and a histogram of the values")
    return p


#: Options that take a value (the word after them is not a script).
_VALUED = {"-s", "--setup", "--compare-to", "-p", "--processes", "-n", "--values", "-w", "--warmups", "--min-time"}
_VALUED |= {"--clock", "--confidence", "--min-speedup", "-o", "--output"}


def split_script(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """pyrometer's options, and the script with its arguments: everything
    from the first word that is not an option (nor an option's value) and
    names an existing .py file (a statement is not split off)."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return list(argv), []
        if a.startswith("-"):
            i += 2 if a in _VALUED else 1
            continue
        if a.endswith(".py") and os.path.isfile(a):
            return list(argv[:i]), list(argv[i:])
        i += 1
    return list(argv), []


def main(argv: Sequence[str]) -> int:
    """``pyrometer bench``; raises BenchError for a failure (cli prints it)."""
    p = parser()
    mine, script = split_script(argv)
    if script and "--compare" in mine:
        mine, script = list(argv), []  # compared scripts come each in one word
    args = p.parse_args(mine)
    if script:
        if args.what:
            raise BenchError("give either a script or statements, not both", EXIT_USAGE)
        args.what = [shlex.join(script)]
    if not args.what:
        raise BenchError("nothing to time: give a statement or a script", EXIT_USAGE)
    if len(args.what) > 1 and not args.compare:
        raise BenchError("several statements: give --compare to compare them (or join them with ';')", EXIT_USAGE)
    if args.compare and len(args.what) < 2:
        raise BenchError("--compare needs two statements or scripts or more", EXIT_USAGE)
    if len(args.what) > 26:
        raise BenchError("--compare takes at most 26 variants", EXIT_USAGE)
    if args.min_speedup is not None and not (args.compare or args.compare_to):
        raise BenchError("--min-speedup needs --compare or --compare-to", EXIT_USAGE)
    if args.check_output and not args.compare:
        raise BenchError("--check-output needs --compare", EXIT_USAGE)
    if not 0 < args.confidence < 1:
        raise BenchError("--confidence must be between 0 and 1 (e.g. 0.95)", EXIT_USAGE)
    if args.min_time <= 0:
        raise BenchError("--min-time must be above 0", EXIT_USAGE)
    for name in ("processes", "values"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise BenchError(f"--{name} must be at least 1", EXIT_USAGE)
    if args.warmups < 0:
        raise BenchError("--warmups must be 0 or more", EXIT_USAGE)
    if args.output:
        _check_writable(args.output)
    old = load(args.compare_to) if args.compare_to else None

    preset = "fast" if args.fast else "rigorous" if args.rigorous else "default"
    variants = [variant_of(text, args.setup) for text in args.what]
    scripts = any(v.script for v in variants)
    workers = args.processes or (SCRIPT_RUNS[preset] if scripts else PRESETS[preset][0])
    values = 1 if scripts else args.values or PRESETS[preset][1]
    if scripts and not all(v.script for v in variants):
        raise BenchError("--compare of scripts with statements: compare scripts with scripts", EXIT_USAGE)
    if len(variants) * workers * values < 2 * len(variants) and (args.compare or old):
        raise BenchError("a comparison needs 2 values or more of each (raise -p or -n)", EXIT_USAGE)
    err = sys.stderr

    def progress(text: str) -> None:
        if args.verbose:
            err.write(f"  {text}\n")
            err.flush()

    # scripts compared are always checked: their output is there to compare, for one run more each
    scripts_compared = len(variants) > 1 and all(v.script for v in variants)
    warnings = check_outputs(variants) if args.check_output or scripts_compared else []
    run_variants(variants, workers, values, args.warmups, args.min_time, not args.no_gc, progress)
    results = [v.result() for v in variants]
    samples = [r.sample(args.clock) for r in results]
    if old is not None:
        base = next((b for b in old if b.name == results[0].name), old[0] if len(old) == 1 else None)
        if base is None:
            raise BenchError(f"{args.compare_to!r} has no benchmark named {results[0].name!r}", EXIT_BADFILE)
        if base.cpu is None:
            args.clock = "wall"
        samples = [
            base.sample(args.clock, f"{base.name} (from {args.compare_to})"),
            results[0].sample(args.clock, f"{results[0].name} (this run)"),
        ]
    text, comparisons = _core.bench_report(samples, args.clock, args.verbose, args.confidence)
    if args.verbose or "warning: unstable" in text:  # what may have made it so; else noise
        for note in machine_notes():
            err.write(note + "\n")
    sys.stdout.write(text)
    for w in warnings:
        err.write(w + "\n")
    if args.output:
        save(args.output, results, args.clock, comparisons)
    if args.min_speedup is not None:
        for k, c in enumerate(comparisons, 1):
            if c["lo"] < args.min_speedup:
                err.write(
                    f"pyrometer: {chr(65 + k)}'s speedup over A is not shown to be at least {args.min_speedup:g}x "
                    f"(the lower bound of its {c['confidence'] * 100:.0f}% interval is {c['lo']:.3g}x)\n"
                )
                return EXIT_SLOWER
    return 0


def _check_writable(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise BenchError(f"cannot write {path!r}: it is a directory", EXIT_OUTPUT)
    if not os.path.isdir(directory):
        raise BenchError(f"cannot write {path!r}: directory {directory!r} does not exist", EXIT_OUTPUT)
    if not os.access(directory, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise BenchError(f"cannot write {path!r}: permission denied", EXIT_OUTPUT)
