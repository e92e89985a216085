"""The timing harness's own cost per measured loop: ``pyrometer bench`` against ``timeit``.

Runs on ONE Python: the interpreter executing this script (``bench/bench.sh``
runs it on every CPython 3.9-3.15). Each tool's figure for a statement
includes the cost of the loop that repeats it; on ``pass`` that cost is all
there is, so the figure for ``pass`` is the harness's overhead per loop, and
it is inside every other figure the tool reports. The statements:

* ``pass``: the overhead itself;
* ``x = [i for i in range(70)]`` (about 1 us): the overhead as a share of a
  short statement; the tool with the smaller overhead reports a smaller time.

timeit: ``timeit.Timer(stmt).autorange()`` for the loop count, then the best
of ``repeat(--repeat, number)``, per loop (timeit's own advice: the minimum).
pyrometer: the timing loop its worker processes run
(``pyrometer._benchworker.Timer``, the statement unrolled 10 times a turn),
the same loop count, the best of --repeat values, per loop. Both with the
garbage collector off (timeit's way).

    python bench/bench_overhead.py [--repeat N]

Prints both figures, the ratio pyrometer/timeit, and each harness's overhead
(its figure for ``pass``) as a share of the ~1 us statement. The target:
pyrometer's overhead below timeit's.
"""

from __future__ import annotations

import argparse
import gc
import sys
import timeit

from pyrometer import _benchworker

STATEMENTS = (("pass", "pass"), ("~1 us", "x = [i for i in range(70)]"))


def best_timeit(stmt: str, repeat: int) -> tuple[float, int]:
    t = timeit.Timer(stmt)
    number, _ = t.autorange()
    number = max(number, 10)
    return min(t.repeat(repeat, number)) / number, number


def best_pyrometer(stmt: str, loops: int, repeat: int) -> float:
    timer = _benchworker.Timer("pass", stmt)
    loops = max(10, loops - loops % 10)
    was = gc.isenabled()
    gc.disable()
    try:
        timer.time(loops)  # warm-up
        return min(timer.time(loops)[0] for _ in range(repeat)) / loops
    finally:
        if was:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=7, help="values of each, the best kept (default 7)")
    args = p.parse_args(argv)
    print(f"Python {sys.version.split()[0]}: the harness's figure per loop (best of {args.repeat})")
    print(f"{'statement':<10} {'timeit':>10} {'pyrometer':>10} {'pyro/timeit':>12}")
    figures = {}
    for label, stmt in STATEMENTS:
        t, number = best_timeit(stmt, args.repeat)
        pr = best_pyrometer(stmt, number, args.repeat)
        figures[label] = (t, pr)
        print(f"{label:<10} {t * 1e9:>8.1f}ns {pr * 1e9:>8.1f}ns {pr / t:>11.2f}x")
    (ot, op), (st, sp) = figures["pass"], figures["~1 us"]
    print(f"overhead per loop (figure for pass): timeit {ot * 1e9:.1f} ns, pyrometer {op * 1e9:.1f} ns: {op / ot:.2f}x")
    print(f"its share of the ~1 us statement: timeit {100 * ot / st:.2f}%, pyrometer {100 * op / sp:.2f}%")
    print("(the ~1 us figures differ by more than either overhead on a busy machine: compare them on a quiet one)")
    print(f"pyrometer's overhead is {'below' if op < ot else 'NOT below'} timeit's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
