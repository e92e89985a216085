"""The Julia set of examples/julia.py (complex numbers: about three short-lived objects per
iteration), as a memory workload: python mem_julia.py [WIDTH] (default 400).

Check value: sum of the output (33219980 at width 1000). memory_profiler's variant decorates
calculate_z_serial_purepython, the hot loop."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples"))

import julia  # noqa: E402  (examples/julia.py)
import memwork  # noqa: E402


def decorate(profile):
    julia.calculate_z_serial_purepython = profile(julia.calculate_z_serial_purepython)


def hot(width):
    out = julia.calc_pure_python(desired_width=width, max_iterations=300)
    return sum(out)


if __name__ == "__main__":
    memwork.run(hot, 400, decorate)
