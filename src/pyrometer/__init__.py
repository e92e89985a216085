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
``with pyrometer.memory() as m: ...`` then ``m.print()``; repeatable
timing with statistics: ``pyrometer bench`` on the command line, or
``pyrometer.bench(func, *args).report()``; and what each call of a function
costs (wall, CPU, memory, counters; a summary at exit)::

    @pyrometer.measure
    async def fetch(): ...
"""

__version__ = "0.1.0"

from ._core import GILRequiredError, IncompleteProfileWarning, ProfileError

# The API module is imported when first used, so that `python -m pyrometer run`
# does not pay for it (start-up is the profiler's overhead on a short program).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._bench import Bench, bench
    from ._measure import Measure, measure
    from ._measure import reset as measure_reset
    from ._measure import results as measure_results
    from ._measure import summary as measure_summary
    from .api import Lines, Memory, Profile, Trace, lines, memory, profile, trace
else:
    _MEASURE = {
        "Measure": "Measure",
        "measure": "measure",
        "measure_reset": "reset",
        "measure_results": "results",
        "measure_summary": "summary",
    }

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
        if name in _MEASURE:
            from . import _measure

            value = getattr(_measure, _MEASURE[name])
            globals()[name] = value
            return value
        raise AttributeError(f"module 'pyrometer' has no attribute {name!r}")


__all__ = [
    "Bench",
    "GILRequiredError",
    "IncompleteProfileWarning",
    "Lines",
    "Measure",
    "Memory",
    "Profile",
    "ProfileError",
    "Trace",
    "__version__",
    "bench",
    "lines",
    "measure",
    "measure_reset",
    "measure_results",
    "measure_summary",
    "memory",
    "profile",
    "trace",
]
