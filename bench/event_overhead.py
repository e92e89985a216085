"""Event sampling overhead, side by side in one run: plain Python,
pyrometer's time sampling alone (1 kHz), pyrometer with --event at the
event's default period (page-faults, context-switches, task-clock), and
perf record on the same event at the same period (if perf is installed;
perf knows no Python names: it is the peer for the cost only), on a
page-fault-heavy program (bench/workloads/faults.py) and a pure-CPU one
(examples/julia.py).

Each configuration runs as its own process, configurations alternate within
each repetition and medians are reported: wall time and CPU time (user + sys
of the process and its threads, pyrometer's sampling thread included; for
perf, perf's own process too). overhead = profiled ÷ plain. The target
(issue 15): --event costs at most 1.05x at its default period.

    python bench/event_overhead.py [--repeat N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile

import sample_overhead  # bench/: its timing of one command

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EVENTS = ("page-faults", "context-switches", "task-clock")
TARGET = 1.05


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the command and its children) of `cmd`."""
    wall, cpu, _ = sample_overhead.timed(cmd)
    return wall, cpu


def period_of(event: str) -> int:
    import pyrometer._core as core

    return int(next(e["default_period"] for e in core.Sampler.events() if e["name"] == event))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="rounds of every configuration (5)")
    ap.add_argument("--quick", action="store_true", help="small programs, 1 round: a smoke test")
    args = ap.parse_args()
    repeat = 1 if args.quick else args.repeat
    py = sys.executable
    pyro = [py, "-m", "pyrometer"]
    perf = shutil.which("perf")
    programs = {
        "faults.py": [os.path.join(HERE, "workloads", "faults.py"), "8" if args.quick else "60"],
        "julia.py": [os.path.join(ROOT, "examples", "julia.py"), "200" if args.quick else "500"],
    }
    print(f"CPython {sys.version.split()[0]} ({py}); perf: {perf or 'not installed'}; median of {repeat} rounds")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, prog in programs.items():
            cfgs: dict[str, list[str]] = {"plain": [py, *prog]}
            cfgs["pyrometer run"] = [*pyro, "run", "-o", os.path.join(tmp, "s.pyro"), *prog]
            for ev in EVENTS:
                out = os.path.join(tmp, f"{ev}.pyro")
                cfgs[f"pyrometer run --event {ev}"] = [*pyro, "run", "--event", ev, "-o", out, *prog]
                if perf:
                    data = os.path.join(tmp, f"{ev}.data")
                    cfgs[f"perf record -e {ev} -c {period_of(ev)}"] = [
                        perf,
                        "record",
                        "-q",
                        "-e",
                        ev,
                        "-c",
                        str(period_of(ev)),
                        "-o",
                        data,
                        "--",
                        py,
                        *prog,
                    ]
            runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cfgs}
            for _ in range(repeat):
                for k, cmd in cfgs.items():
                    runs[k].append(timed(cmd))
            wall0 = statistics.median(w for w, _ in runs["plain"])
            cpu0 = statistics.median(c for _, c in runs["plain"])
            print(f"\n{name} {' '.join(prog[1:])}: plain {wall0:.3f} s wall, {cpu0:.3f} s CPU")
            print(f"  {'':44} {'wall':>9} {'':>6} {'CPU':>9} {'':>6}")
            for k, rs in runs.items():
                if k == "plain":
                    continue
                w = statistics.median(x for x, _ in rs)
                c = statistics.median(y for _, y in rs)
                print(f"  {k:44} {w:8.3f}s {w / wall0:5.2f}x {c:8.3f}s {c / cpu0:5.2f}x")
            wall1 = statistics.median(x for x, _ in runs["pyrometer run"])
            cpu1 = statistics.median(y for _, y in runs["pyrometer run"])
            for ev in EVENTS:
                k = f"pyrometer run --event {ev}"
                w = statistics.median(x for x, _ in runs[k])
                c = statistics.median(y for _, y in runs[k])
                passed = min(w / wall0, c / cpu0) <= TARGET
                ok &= passed
                print(
                    f"  target --event {ev} <= {TARGET}x: wall {w / wall0:.3f}x, CPU {c / cpu0:.3f}x "
                    f"{'PASS' if passed else 'FAIL'} (over time sampling alone: wall {w / wall1:.3f}x, "
                    f"CPU {c / cpu1:.3f}x)"
                )
    print("\nall targets met" if ok else "\nsome target missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
