"""pyrometer: a Python profiler whose engine is written in C.

``pyrometer run --mode trace script.py`` from the shell, or in code::

    import pyrometer
    with pyrometer.trace() as t:
        work()
    t.print()                    # cProfile-style table
    t.save("work.prof")          # pstats / SnakeViz / gprof2dot

and exact line timing, as kernprof users know it::

    from pyrometer import profile   # does nothing unless pyrometer times lines

    @profile
    def hot(): ...

``pyrometer run --mode lines script.py``, or ``with pyrometer.lines(hot) as p: ...``;
and where memory goes: ``pyrometer run --mode memory script.py``, or
``with pyrometer.memory() as m: ...`` then ``m.print()``; and repeatable
timing with statistics: ``pyrometer bench`` on the command line, or
``pyrometer.bench(func, *args).report()``.
"""

__version__ = "0.1.0"

from ._core import GILRequiredError, IncompleteProfileWarning, ProfileError

# The API module is imported when first used, so that `python -m pyrometer run`
# does not pay for it (start-up is the profiler's overhead on a short program).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._bench import Bench, bench
    from .api import Lines, Memory, Profile, Trace, lines, memory, profile, trace
else:

    def __getattr__(name: str) -> object:
        if name in ("Bench", "bench"):
            from . import _bench

            value = getattr(_bench, name)
            globals()[name] = value
            return value
        if name in ("Lines", "Memory", "Profile", "Trace", "lines", "memory", "profile", "trace"):
            from . import api

            value = getattr(api, name)
            globals()[name] = value
            return value
        raise AttributeError(f"module 'pyrometer' has no attribute {name!r}")


__all__ = [
    "Bench",
    "GILRequiredError",
    "IncompleteProfileWarning",
    "Lines",
    "Memory",
    "Profile",
    "ProfileError",
    "Trace",
    "__version__",
    "bench",
    "lines",
    "memory",
    "profile",
    "trace",
]
