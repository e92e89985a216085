"""Sampling overhead, side by side in one run: plain Python, pyrometer
(sample mode at 1 kHz and 10 kHz, and at 1 kHz with --blocking: the program
in a child, stopped for each read, as py-spy does by default), py-spy record (same rates, if installed)
and pyinstrument (its default 1 ms interval, if installed), on fib.py 30,
julia.py 500 and two pyperformance-style programs (bench/workloads/);
``--long`` scales them to several seconds each.

Each configuration runs as its own process and is timed whole (wall clock,
from fork to exit). Configurations alternate within each repetition, so
drift hits all alike; medians are reported. Two ratios per cell:

- whole: median profiled wall time / median plain wall time;
- program: the same with each tool's start-up taken out, where start-up is
  the median wall time of that tool running a program that sleeps 50 ms
  (bench/workloads/idle.py) in the same alternation; the 50 ms is in every
  tool's start-up and the plain run's alike, so it cancels. This is the cost
  the profiler adds to the program while it runs.

Also printed: each tool's start-up, the CPU the sampler itself used
(pyrometer: its sampling thread, from the profile's metadata; py-spy: its
own process, minus the plain run's CPU) and the extra peak RSS of the
profiled process (pyrometer runs in it; py-spy's is its own process).

pyrometer is started by its console script (`pyrometer run ...`, what users
type), or with ``--module`` as ``python -m pyrometer``.

    python bench/sample_overhead.py [--repeat N] [--quick] [--long] [--skip spy10k] [--module]
                                    [--py-spy PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDLE = [os.path.join(ROOT, "bench", "workloads", "idle.py")]
FIB = os.path.join(ROOT, "examples", "fib.py")
JULIA = os.path.join(ROOT, "examples", "julia.py")
NBODY = os.path.join(ROOT, "bench", "workloads", "nbody.py")
TEXTPROC = os.path.join(ROOT, "bench", "workloads", "textproc.py")
WORKLOADS = [
    ("fib(30)", [FIB, "30"]),
    ("julia 500", [JULIA, "500"]),
    ("nbody", [NBODY, "150000"]),
    ("textproc", [TEXTPROC, "25"]),
]
LONG_WORKLOADS = [  # several seconds each on this 2-CPU VM
    ("fib(35)", [FIB, "35"]),
    ("julia 1000", [JULIA, "1000"]),
    ("nbody 600k", [NBODY, "600000"]),
    ("textproc 120", [TEXTPROC, "120"]),
]


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of children and peak RSS (KiB) of `cmd`."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with status {status}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def configs(py: str, pyspy: str | None, pyinstrument: bool, tmp: str, prog: list[str]) -> dict[str, list[str]]:
    """The command line of each configuration for one program."""
    pyro = PYRO or [py, "-m", "pyrometer"]
    c: dict[str, list[str]] = {
        "plain": [py, *prog],
        "pyro1k": [*pyro, "run", "--rate", "1000", "-o", os.path.join(tmp, "p1k.pyro"), *prog],
        "pyro10k": [*pyro, "run", "--rate", "10000", "-o", os.path.join(tmp, "p10k.pyro"), *prog],
        # stopping the program for each read, as py-spy does by default
        "blk1k": [*pyro, "run", "--blocking", "--rate", "1000", "-o", os.path.join(tmp, "b1k.pyro"), *prog],
    }
    if pyspy:
        for rate in ("1k", "10k"):
            c["spy" + rate] = [
                pyspy,
                "record",
                "-r",
                rate.replace("k", "000"),
                "-f",
                "raw",
                "-o",
                os.path.join(tmp, "s" + rate),
                "--",
                py,
                *prog,
            ]
    if pyinstrument:
        c["pyinstr"] = [py, "-m", "pyinstrument", "-o", os.devnull, *prog]
    for name in SKIP:
        c.pop(name, None)
    return c


SKIP: list[str] = []
PYRO: list[str] = []  # how pyrometer is started (set in main)


class Runs:
    """Wall, CPU, RSS and pyrometer's sampler CPU of every run, by configuration."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.rss: dict[str, list[int]] = {}
        self.sampler: dict[str, list[float]] = {}

    def add(self, name: str, cmd: list[str], py: str) -> None:
        wall, cpu, rss = timed(cmd)
        self.wall.setdefault(name, []).append(wall)
        self.cpu.setdefault(name, []).append(cpu)
        self.rss.setdefault(name, []).append(rss)
        if name.startswith("pyro"):
            meta = json.loads(
                subprocess.run(
                    [py, "-m", "pyrometer", "report", "--format", "json", cmd[cmd.index("-o") + 1]],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )["meta"]
            self.sampler.setdefault(name, []).append(float(meta["sampler_cpu_s"]))

    def med(self, table: str, name: str) -> float:
        """The median of `table` for configuration `name` (nan if it was skipped)."""
        values = getattr(self, table).get(name)
        return statistics.median(values) if values else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="first two workloads, 3 repetitions")
    ap.add_argument("--long", action="store_true", help="the workloads scaled to several seconds")
    ap.add_argument(
        "--module", action="store_true", help="start pyrometer as `python -m pyrometer` instead of its console script"
    )
    ap.add_argument("--py-spy", dest="pyspy", help="py-spy executable (default: on PATH or beside python)")
    ap.add_argument(
        "--skip",
        default="",
        help="configurations to leave out, comma-separated "
        "(pyro1k, pyro10k, blk1k, spy1k, spy10k, pyinstr): spy10k pauses the program 10000 times a "
        "second and takes minutes on --long",
    )
    args = ap.parse_args()
    repeat = 3 if args.quick else args.repeat
    SKIP.extend(n for n in args.skip.split(",") if n)
    py = sys.executable
    # the console script users type (`pyrometer run`); `python -m pyrometer`
    # also imports runpy, which on 3.9 imports typing (~10 ms more)
    script = os.path.join(os.path.dirname(py), "pyrometer")
    PYRO[:] = [script] if os.path.exists(script) and not args.module else [py, "-m", "pyrometer"]
    tmp = tempfile.mkdtemp(prefix="pyro-bench-")
    pyspy = args.pyspy or shutil.which("py-spy") or os.path.join(os.path.dirname(py), "py-spy")
    if not os.path.exists(pyspy):
        pyspy = None
    try:
        import pyinstrument  # noqa: F401

        have_pyinstrument = True
    except ImportError:
        have_pyinstrument = False
    workloads = LONG_WORKLOADS if args.long else WORKLOADS
    if args.quick:
        workloads = workloads[:2]
    print(f"pyrometer started as: {' '.join(os.path.basename(a) for a in PYRO)}")
    print(
        f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; median of {repeat} runs; "
        f"py-spy: {'yes' if pyspy else 'not found'}; pyinstrument: {'yes' if have_pyinstrument else 'no'}"
    )
    names = list(configs(py, pyspy, have_pyinstrument, tmp, IDLE))
    titles = {
        "pyro1k": "pyro 1k",
        "pyro10k": "pyro 10k",
        "blk1k": "pyro blk 1k",
        "spy1k": "py-spy 1k",
        "spy10k": "py-spy 10k",
        "pyinstr": "pyinstr",
    }
    # start-up: every tool on the idle program, alternated like the rest
    start = Runs()
    for _ in range(repeat):
        for name, cmd in configs(py, pyspy, have_pyinstrument, tmp, IDLE).items():
            start.add(name, cmd, py)
    print(
        "start-up + 50 ms idle: " + ", ".join(f"{titles.get(n, n)} {start.med('wall', n) * 1000:.0f} ms" for n in names)
    )
    print("cells: whole-process ratio / ratio with each tool's start-up taken out")
    print(
        f"{'workload':<13}{'plain':>7}"
        + "".join(f"{titles[n]:>17}" for n in names[1:])
        + "   sampler CPU pyro 1k/10k, py-spy 1k; pyro 1k RSS"
    )
    whole: dict[str, list[float]] = {n: [] for n in names[1:]}
    program: dict[str, list[float]] = {n: [] for n in names[1:]}
    for title, prog in workloads:
        runs = Runs()
        cmds = configs(py, pyspy, have_pyinstrument, tmp, prog)
        for _ in range(repeat):
            for name, cmd in cmds.items():
                runs.add(name, cmd, py)
        base = runs.med("wall", "plain")
        base_prog = base - start.med("wall", "plain")
        cells = []
        for n in names[1:]:
            w = runs.med("wall", n) / base
            pr = (runs.med("wall", n) - start.med("wall", n)) / base_prog
            whole[n].append(w)
            program[n].append(pr)
            cells.append(f"{w:.3f}x/{pr:.3f}x")
        spy_cpu = runs.med("cpu", "spy1k") - runs.med("cpu", "plain") if "spy1k" in runs.cpu else float("nan")
        rss = (runs.med("rss", "pyro1k") - runs.med("rss", "plain")) / 1024
        print(
            f"{title:<13}{base:6.2f}s"
            + "".join(f"{c:>17}" for c in cells)
            + f"   {runs.med('sampler', 'pyro1k'):.3f}s / {runs.med('sampler', 'pyro10k'):.3f}s, "
            f"{spy_cpu:.3f}s; +{rss:.1f} MiB"
        )
    print(
        f"{'median':<20}"
        + "".join(
            f"{statistics.median(whole[n]):.3f}x/{statistics.median(program[n]):.3f}x".rjust(17) for n in names[1:]
        )
    )
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
