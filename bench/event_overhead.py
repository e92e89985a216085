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
perf, perf's own process too). overhead = profiled ÷ plain, for the whole
run and for the program's own part: each tool's start-up (its median on
bench/workloads/idle.py, a 50 ms sleep, alternated with the rest) taken out
of its time and plain's, as bench/sample_overhead.py does. The target (issue
15): --event costs at most 1.05x of the program's wall time at its default
period.

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


def configs(py: str, pyro: list[str], perf: str | None, tmp: str, prog: list[str]) -> dict[str, list[str]]:
    """The command line of each configuration for one program."""
    cfgs: dict[str, list[str]] = {"plain": [py, *prog]}
    cfgs["pyrometer run"] = [*pyro, "run", "-o", os.path.join(tmp, "s.pyro"), *prog]
    for ev in EVENTS:
        out = os.path.join(tmp, f"{ev}.pyro")
        cfgs[f"pyrometer run --event {ev}"] = [*pyro, "run", "--event", ev, "-o", out, *prog]
        if perf:
            data = os.path.join(tmp, f"{ev}.data")
            period = str(period_of(ev))
            cfgs[f"perf record -e {ev} -c {period}"] = [
                perf,
                "record",
                "-q",
                "-e",
                ev,
                "-c",
                period,
                "-o",
                data,
                "--",
                py,
                *prog,
            ]
    return cfgs


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
    idle = [os.path.join(HERE, "workloads", "idle.py")]
    with tempfile.TemporaryDirectory() as tmp:
        for name, prog in programs.items():
            cfgs = configs(py, pyro, perf, tmp, prog)
            starts = configs(py, pyro, perf, tmp, idle)
            runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cfgs}
            start: dict[str, list[tuple[float, float]]] = {k: [] for k in cfgs}
            for _ in range(repeat):  # alternated: a change of the machine's load touches all alike
                for k in cfgs:
                    runs[k].append(timed(cfgs[k]))
                    start[k].append(timed(starts[k]))

            def med(table: dict[str, list[tuple[float, float]]], k: str, i: int) -> float:
                return statistics.median(r[i] for r in table[k])

            # the program's own part: each configuration's start-up (on a 50 ms idle program) taken out
            prog0 = [med(runs, "plain", i) - med(start, "plain", i) for i in (0, 1)]
            print(
                f"\n{name} {' '.join(prog[1:])}: plain {med(runs, 'plain', 0):.3f} s wall, "
                f"{med(runs, 'plain', 1):.3f} s CPU"
            )
            print(f"  {'':42} {'whole: wall':>16} {'CPU':>15}   {'program: wall':>13} {'CPU':>6}   start-up")
            ratio: dict[str, list[float]] = {}
            for k in cfgs:
                if k == "plain":
                    continue
                w, c = med(runs, k, 0), med(runs, k, 1)
                ratio[k] = [(med(runs, k, i) - med(start, k, i)) / prog0[i] for i in (0, 1)]
                print(
                    f"  {k:42} {w:8.3f}s {w / med(runs, 'plain', 0):5.2f}x {c:8.3f}s {c / med(runs, 'plain', 1):5.2f}x"
                    f"   {ratio[k][0]:12.3f}x {ratio[k][1]:5.3f}x   {med(start, k, 0) * 1000:5.0f} ms"
                )
            for ev in EVENTS:
                k = f"pyrometer run --event {ev}"
                passed = ratio[k][0] <= TARGET
                ok &= passed
                print(
                    f"  target --event {ev} <= {TARGET}x on the program's wall time: {ratio[k][0]:.3f}x "
                    f"{'PASS' if passed else 'FAIL'} (CPU {ratio[k][1]:.3f}x; over time sampling alone: "
                    f"wall {ratio[k][0] / ratio['pyrometer run'][0]:.3f}x, "
                    f"CPU {ratio[k][1] / ratio['pyrometer run'][1]:.3f}x)"
                )
    print("\nall targets met" if ok else "\nsome target missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
