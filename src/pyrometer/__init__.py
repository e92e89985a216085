"""pyrometer: a Python profiler whose engine is written in C.

``pyrometer run --mode trace script.py`` from the shell, or in code::

    import pyrometer
    with pyrometer.trace() as t:
        work()
    t.print()                    # cProfile-style table
    t.save("work.prof")          # pstats / SnakeViz / gprof2dot
"""

__version__ = "0.1.0"

from ._core import ProfileError  # noqa: E402
from .api import Profile, Trace, trace  # noqa: E402

__all__ = ["Profile", "ProfileError", "Trace", "trace", "__version__"]
