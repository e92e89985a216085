"""Sampling overhead, side by side in one run: plain Python, pyrometer
(sample mode at 1 kHz and 10 kHz), py-spy record (same rates, if installed)
and pyinstrument (its default 1 ms interval, if installed), on fib.py 30,
julia.py 500 and two pyperformance-style programs (bench/workloads/).

Overhead = median wall time of the profiled run / median of the plain run;
configurations alternate within each repetition, so drift hits all alike.
Also printed: the CPU the sampler itself used (pyrometer: its sampling
thread, from the profile's metadata; py-spy: its own process) and the peak
RSS of the profiled process.

    python bench/sample_overhead.py [--repeat N] [--quick]
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
from typing import Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = [
    ("fib(30)", [os.path.join(ROOT, "examples", "fib.py"), "30"]),
    ("julia 500", [os.path.join(ROOT, "examples", "julia.py"), "500"]),
    ("nbody", [os.path.join(ROOT, "bench", "workloads", "nbody.py"), "150000"]),
    ("textproc", [os.path.join(ROOT, "bench", "workloads", "textproc.py"), "25"]),
]


def timed(cmd: List[str]) -> Tuple[float, float, int]:
    """Wall seconds, CPU seconds of children and peak RSS (KiB) of `cmd`."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with status {status}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="first two workloads, 3 repetitions")
    args = ap.parse_args()
    repeat = 3 if args.quick else args.repeat
    py = sys.executable
    tmp = tempfile.mkdtemp(prefix="pyro-bench-")
    pyspy = shutil.which("py-spy") or os.path.join(os.path.dirname(py), "py-spy")
    have_pyspy = os.path.exists(pyspy)
    try:
        import pyinstrument  # noqa: F401
        have_pyinstrument = True
    except ImportError:
        have_pyinstrument = False
    print(f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; median of {repeat} runs")
    print(f"{'workload':<11}{'plain':>8}{'pyro 1k':>9}{'pyro 10k':>10}{'py-spy 1k':>11}"
          f"{'py-spy 10k':>12}{'pyinstr':>9}   sampler CPU (pyro 1k/10k, py-spy 1k)")
    for title, prog in WORKLOADS[:2] if args.quick else WORKLOADS:
        out, out10 = os.path.join(tmp, "p1k.pyro"), os.path.join(tmp, "p10k.pyro")
        configs: Dict[str, List[str]] = {
            "plain": [py, *prog],
            "pyro1k": [py, "-m", "pyrometer", "run", "--rate", "1000", "-o", out, *prog],
            "pyro10k": [py, "-m", "pyrometer", "run", "--rate", "10000", "-o", out10, *prog],
        }
        if have_pyspy:
            configs["spy1k"] = [pyspy, "record", "-r", "1000", "-f", "raw", "-o", os.path.join(tmp, "s"),
                                "--", py, *prog]
            configs["spy10k"] = [pyspy, "record", "-r", "10000", "-f", "raw", "-o",
                                 os.path.join(tmp, "s10"), "--", py, *prog]
        if have_pyinstrument:
            configs["pyinstr"] = [py, "-m", "pyinstrument", "-o", os.devnull, *prog]
        walls: Dict[str, List[float]] = {k: [] for k in configs}
        cpus: Dict[str, List[float]] = {k: [] for k in configs}
        sampler: Dict[str, List[float]] = {"pyro1k": [], "pyro10k": []}
        for _ in range(repeat):
            for name, cmd in configs.items():
                wall, cpu, _rss = timed(cmd)
                walls[name].append(wall)
                cpus[name].append(cpu)
                if name.startswith("pyro"):
                    path = out if name == "pyro1k" else out10
                    meta = json.loads(subprocess.run(
                        [py, "-m", "pyrometer", "report", "--format", "json", path],
                        capture_output=True, text=True, check=True).stdout)["meta"]
                    sampler[name].append(float(meta["sampler_cpu_s"]))
        base = statistics.median(walls["plain"])

        def ratio(k: str) -> str:
            return f"{statistics.median(walls[k]) / base:.3f}x" if k in walls else "n/a"

        spy_cpu = (statistics.median(cpus["spy1k"]) - statistics.median(cpus["plain"])
                   if "spy1k" in cpus else float("nan"))
        print(f"{title:<11}{base:7.2f}s{ratio('pyro1k'):>9}{ratio('pyro10k'):>10}{ratio('spy1k'):>11}"
              f"{ratio('spy10k'):>12}{ratio('pyinstr'):>9}   "
              f"{statistics.median(sampler['pyro1k']):.3f}s / {statistics.median(sampler['pyro10k']):.3f}s"
              f", {spy_cpu:.3f}s")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
