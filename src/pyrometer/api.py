"""The Python API: ``with pyrometer.trace() as t: ...`` and ``@pyrometer.trace``."""

from __future__ import annotations

import atexit
import marshal
import sys

from . import _core

# `typing` (~5 ms with what it imports) and `pstats` (~20 ms) are for the type
# checker only: `pyrometer run` imports this module, and its start-up is the
# profiler's overhead on a short program. mypy takes any `TYPE_CHECKING` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import pstats
    from typing import Any, Callable, Literal, TypeVar, overload

    F = TypeVar("F", bound=Callable[..., Any])
else:

    def overload(func: object) -> object:
        return func


class Profile:
    """A recorded profile: print it, save it, or load it into pstats.

    ``pstats.Stats(profile)`` works directly (it calls ``create_stats``).
    """

    def __init__(self, core: _core.Profile) -> None:
        self._core = core
        self.stats: dict[Any, Any] = {}

    @classmethod
    def load(cls, path: str) -> Profile:
        """Read a ``.pyro`` file saved earlier."""
        return cls(_core.Profile.load(path))

    @property
    def meta(self) -> dict[str, str]:
        return self._core.meta

    @property
    def total_time(self) -> float:
        return self._core.total_time

    def render(self, format: str = "table", **options: Any) -> str | bytes:
        """The profile as text (bytes for ``pstats`` and ``pyro``). Options:
        sort, limit, callers, color, threshold, strip."""
        return self._core.render(format, **options)

    def save(self, path: str, format: str | None = None, **options: Any) -> None:
        """Write atomically; the format comes from the extension unless given."""
        self._core.write(path, format, **options)

    def print(self, format: str = "table", file: Any = None, **options: Any) -> None:
        """Print the report (to stdout by default)."""
        text = self.render(format, **options)
        if isinstance(text, bytes):
            raise ValueError(f"{format} is a binary format: use save()")
        (file or sys.stdout).write(text)

    def create_stats(self) -> None:
        """pstats protocol: fill ``self.stats`` with cProfile's dictionary."""
        data = self._core.render("pstats")
        assert isinstance(data, bytes)
        self.stats = marshal.loads(data)

    def pstats(self) -> pstats.Stats:
        import pstats

        return pstats.Stats(self)  # type: ignore[arg-type]  # it takes anything with create_stats()

    def __str__(self) -> str:
        return str(self.render("table"))


class Trace:
    """Deterministic tracing of a block or of every call of a function.

    As a context manager: ``with Trace() as t: ...`` then ``t.profile``.
    As a decorator: every call of the function is traced into one profile,
    printed to stderr at exit (or saved to ``output`` at exit).

    On a free-threaded Python running without the GIL, creating one raises
    ``pyrometer.GILRequiredError``: exact tracing needs the GIL (run Python
    with ``PYTHON_GIL=1``).

    If memory runs out while tracing, the calls that cannot be recorded are
    dropped and the program goes on unchanged; when tracing stops (the end of
    the ``with`` block, the return of the decorated call), pyrometer issues
    ``pyrometer.IncompleteProfileWarning`` (a ``RuntimeWarning``) once, and
    ``profile.meta["complete"]`` is ``"no"``. It is a warning, not a
    ``MemoryError``, so that profiling never replaces the block's own result
    or exception; ``warnings.simplefilter("error", IncompleteProfileWarning)``
    turns it into an exception.

    With ``gc=True`` every garbage collection while tracing is recorded too
    (docs/gc.md): the report gets a "Garbage collector" section.
    """

    def __init__(
        self,
        *,
        clock: str = "wall",
        builtins: bool = True,
        output: str | None = None,
        backend: str = "auto",
        gc: bool = False,
    ) -> None:
        self._tracer = _core.Tracer(clock=clock, builtins=builtins, backend=backend)
        self._gc = _core.GCWatcher() if gc else None
        for fn in (Trace.__exit__, Trace.__call__, Trace._report_at_exit):
            self._tracer.hide(fn)
        self._output = output
        self._profile: Profile | None = None

    # ==== context manager ====

    def __enter__(self) -> Trace:
        self._profile = None
        self._tracer.start()
        if self._gc is not None:
            self._gc.start()
        return self

    def __exit__(self, *exc: Any) -> Literal[False]:
        if self._gc is not None:
            self._gc.stop()
        self._tracer.stop()
        return False

    @property
    def profile(self) -> Profile:
        """Everything traced so far (the tracer must not be running)."""
        if self._profile is None:
            self._profile = Profile(_with_gc(self._tracer.profile(), self._gc))
        return self._profile

    def print(self, format: str = "table", file: Any = None, **options: Any) -> None:
        self.profile.print(format, file, **options)

    def save(self, path: str, format: str | None = None, **options: Any) -> None:
        self.profile.save(path, format, **options)

    def pstats(self) -> pstats.Stats:
        return self.profile.pstats()

    def __str__(self) -> str:
        return str(self.profile)

    # ==== decorator ====

    def __call__(self, func: F) -> F:
        import functools

        tracer = self._tracer

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if tracer.running:  # recursion into the traced function
                return func(*args, **kwargs)
            self._profile = None
            try:
                tracer.start()
            except RuntimeError:  # another tracer is running: it records this call
                return func(*args, **kwargs)
            if self._gc is not None:
                self._gc.start()
            try:
                return func(*args, **kwargs)
            finally:
                if self._gc is not None:
                    self._gc.stop()
                tracer.stop()

        tracer.hide(wrapper)
        wrapper.trace = self  # type: ignore[attr-defined]
        atexit.register(self._report_at_exit)
        return wrapper  # type: ignore[return-value]

    def _report_at_exit(self) -> None:
        if self._gc is not None:
            self._gc.stop()
        if self._tracer.running:
            self._tracer.stop()
        if not self.profile.total_time and not self.profile._core.counts["calls"]:
            return
        if self._output:
            self.profile.save(self._output)
        else:
            self.profile.print(file=sys.stderr)


@overload
def trace(func: F) -> F: ...


@overload
def trace(  # noqa: F811
    *, clock: str = "wall", builtins: bool = True, output: str | None = None, gc: bool = False
) -> Trace: ...


def trace(  # noqa: F811
    func: Callable[..., Any] | None = None,
    *,
    clock: str = "wall",
    builtins: bool = True,
    output: str | None = None,
    gc: bool = False,
) -> Any:
    """Trace every call, with exact counts like cProfile.

    ``with pyrometer.trace() as t: ...`` records the block (``t.profile``);
    ``@pyrometer.trace`` or ``@pyrometer.trace(output="f.prof")`` records every
    call of a function and reports at exit. A profile that lost calls for lack
    of memory is announced by ``IncompleteProfileWarning`` (see ``Trace``).
    ``gc=True`` records the garbage collector's collections too (docs/gc.md).
    """
    t = Trace(clock=clock, builtins=builtins, output=output, gc=gc)
    if func is not None:
        return t(func)
    return t


# ==== exact line timing ====

_CO_ASYNC_GENERATOR = 0x200
_CO_COROUTINE = 0x80
_CO_GENERATOR = 0x20


class Lines:
    """Exact timing of every line of chosen functions, like line_profiler.

    As a context manager: ``with Lines(func, other) as p: ...`` times the
    lines of `func` and `other` (and of every function decorated with
    ``@pyrometer.profile``) run inside the block, in every thread; then
    ``p.print()``, ``p.save("x.txt" | "x.json" | "x.pyro")``, ``p.profile``.
    As a decorator (``pyrometer.profile(output=...)``): every call of the
    function is timed into one profile, written at exit.

    Functions are given as function objects, methods, classmethod,
    staticmethod, property, functools.partial, classes (every function of
    the class body) or code objects. A line's time includes the calls it
    makes, except a recursive call of the same function (see docs/lines.md).

    Only one line timer runs at a time: a block entered while another runs
    (``pyrometer run --mode lines``, an outer block) hands its functions to
    that one, which reports them, and records nothing itself. On a
    free-threaded Python without the GIL, entering the block raises
    ``pyrometer.GILRequiredError``.
    """

    def __init__(self, *funcs: object, output: str | None = None) -> None:
        from . import _lines

        self._timer = _core.LineTimer()
        for fn in (Lines.__exit__, Lines.__call__, Lines._report_at_exit, _lines.stop):
            self._timer.hide(fn)
        for func in funcs:
            self.add(func)
        self._output = output
        self._profile: Profile | None = None
        self._depth = 0  # decorated calls running now (all threads)
        self._ran = False  # started at least once
        import _thread

        self._lock = _thread.allocate_lock()

    def add(self, func: object) -> None:
        """Time the lines of `func` too (before or while the timer runs).
        TypeError if it has no Python code (a C function, a number)."""
        from . import _lines

        codes = _lines.codes_of(func)
        if not codes:
            raise TypeError(f"cannot time the lines of {func!r}: it has no Python code")
        outer = _lines.running()
        for code in codes:
            self._timer.add_code(code)
            if outer is not None and outer is not self._timer:
                outer.add_code(code)

    # ==== context manager ====

    def __enter__(self) -> Lines:
        self._profile = None
        self._start()
        return self

    def __exit__(self, *exc: Any) -> Literal[False]:
        from . import _lines

        _lines.stop(self._timer)
        return False

    def _start(self) -> bool:
        """Start timing; False when another line timer runs (it was given our functions)."""
        from . import _lines

        outer = _lines.running()
        if outer is not None and outer is not self._timer:
            for code in self._timer.chosen:
                outer.add_code(code)
            return False
        _lines.start(self._timer)
        self._ran = True
        return True

    @property
    def profile(self) -> Profile:
        """Everything timed so far (the timer must not be running)."""
        if self._profile is None:
            self._profile = Profile(self._timer.profile())
        return self._profile

    def render(self, format: str = "report", **options: Any) -> str | bytes:
        """The report as text (bytes for ``pyro``); ``format`` report or json."""
        return self.profile.render(format, **options)

    def print(self, format: str = "report", file: Any = None, **options: Any) -> None:
        """Print the line report (to stdout by default)."""
        self.profile.print(format, file, **options)

    def save(self, path: str, format: str | None = None, **options: Any) -> None:
        """Write atomically: .txt (the report), .json or .pyro, from the extension unless given."""
        self.profile.save(path, format, **options)

    def __str__(self) -> str:
        return str(self.render())

    # ==== decorator ====

    def _enter(self) -> bool:
        with self._lock:
            if self._depth == 0:
                self._profile = None
                if not self._start():
                    return False
            self._depth += 1
            return True

    def _leave(self) -> None:
        from . import _lines

        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                _lines.stop(self._timer)

    def __call__(self, func: F) -> F:
        """Time every call of `func`; the report is written at exit."""
        import functools

        code = getattr(func, "__code__", None)
        if not isinstance(code, type(Lines.__call__.__code__)) or isinstance(func, type):
            raise TypeError(
                f"pyrometer.profile(output=...) decorates a function, not {func!r}: for a class, property, "
                "classmethod or staticmethod use the bare @pyrometer.profile or pyrometer.lines(...)"
            )
        self.add(func)
        flags = code.co_flags
        enter, leave = self._enter, self._leave
        wrapper: Any
        if flags & _CO_ASYNC_GENERATOR:
            # its frames outlive the call: the timer runs from the first call to the exit

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if self._depth == 0:
                    enter()
                return func(*args, **kwargs)

        elif flags & _CO_COROUTINE:

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                entered = enter()
                try:
                    return await func(*args, **kwargs)
                finally:
                    if entered:
                        leave()

        elif flags & _CO_GENERATOR:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                entered = enter()
                try:
                    return (yield from func(*args, **kwargs))
                finally:
                    if entered:
                        leave()

        else:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                entered = enter()
                try:
                    return func(*args, **kwargs)
                finally:
                    if entered:
                        leave()

        wrapper = functools.wraps(func)(wrapper)
        self._timer.hide(wrapper)
        wrapper.lines = self
        atexit.register(self._report_at_exit)
        return wrapper  # type: ignore[no-any-return]

    def _report_at_exit(self) -> None:
        from . import _lines

        _lines.stop(self._timer)
        if not self._ran and not self._output:
            return  # never called: nothing to say on stderr
        if self._output:
            self.profile.save(self._output)
        else:
            self.profile.print(file=sys.stderr)


def lines(*funcs: object, output: str | None = None) -> Lines:
    """Time every line of `funcs` (and of the functions decorated with
    ``@pyrometer.profile``) while the block runs::

        with pyrometer.lines(work, Parser.parse) as p:
            work()
        p.print()             # line_profiler's report
        p.save("work.json")   # or .txt, .pyro (pyrometer report)
    """
    return Lines(*funcs, output=output)


@overload
def profile(func: F) -> F: ...


@overload
def profile(*, output: str | None = None) -> Callable[[F], F]: ...  # noqa: F811


def profile(func: Any = None, *, output: str | None = None) -> Any:  # noqa: F811
    """kernprof's ``@profile``, and more.

    Bare, ``@pyrometer.profile`` (or ``from pyrometer import profile``)
    returns the function unchanged and times its lines whenever pyrometer
    times lines (``pyrometer run --mode lines``, ``pyrometer.lines``); with
    nothing timing lines it does nothing, so code can keep it.

    ``@pyrometer.profile(output="hot.txt")`` times every call of the
    function from the start and writes the report at exit (``.txt``,
    ``.json``, ``.pyro``; without ``output``, printed to stderr).
    """
    if func is not None and output is None:
        from . import _lines

        return _lines.profile(func)
    decorator = Lines(output=output)
    if func is not None:
        return decorator(func)
    return decorator


# ==== memory ====


class Memory:
    """Where a block's memory went: every allocation of Python's allocators
    (raw, mem, object) made while the block runs, in every thread,
    attributed to its stack and line. Sampled by bytes unless ``exact``.

    ``with pyrometer.memory() as m: ...`` then ``m.print()`` (the report:
    the peak, what was live at it, what was never freed, the top lines),
    ``m.save("mem.pyro" | "mem.svg" | "mem.collapsed" | ...,
    metric="peak" | "allocated" | "leaked")``, ``m.render(...)``,
    ``m.peak_bytes``, ``m.alloc_bytes``, ``m.leaked_bytes``, ``m.profile``.

    ``sample_bytes`` is the mean number of bytes between recorded
    allocations (an allocation's chance to be recorded grows with its size,
    and each record is weighed back); ``seed`` fixes the sampling (0: from
    the clock, or from the environment variable PYROMETER_SEED when set).
    ``native=True`` also tracks what C extensions and the libraries they
    load allocate with malloc, calloc, realloc, posix_memalign, mmap, ...
    (numpy's arrays, for instance), attributed to the Python line that
    caused it (Linux on x86-64 or AArch64).
    Only one memory tracker runs at a time: entering a second block while
    one runs raises RuntimeError.

    ``gc=True`` records every garbage collection during the block too, with
    the bytes each one freed (docs/gc.md). ``max_bytes`` caps the
    profiler's own memory (0: no cap): past it, records are dropped and
    counted (``totals()["dropped"]``), as ``--max-memory`` does.
    """

    def __init__(
        self,
        *,
        exact: bool = False,
        sample_bytes: int | None = None,
        seed: int | None = None,
        native: bool = False,
        gc: bool = False,
        max_bytes: int = 0,
    ) -> None:
        kwargs: dict[str, Any] = {"exact": exact, "seed": _seed_from_env() if seed is None else seed}
        if native:
            kwargs["native"] = True
        if max_bytes:
            kwargs["max_bytes"] = max_bytes
        if sample_bytes is not None:
            kwargs["sample_bytes"] = sample_bytes
        self._tracker = _core.MemoryTracker(**kwargs)
        self._gc = _core.GCWatcher() if gc else None
        hide = getattr(self._tracker, "hide", None)
        if hide is not None:
            for fn in (Memory.__enter__, Memory.__exit__):
                hide(fn)
        self._profile: Profile | None = None
        self._totals: dict[str, int] | None = None

    def __enter__(self) -> Memory:
        self._profile = None
        self._totals = None
        self._tracker.start()
        if self._gc is not None:
            self._gc.start()
        return self

    def __exit__(self, *exc: Any) -> Literal[False]:
        if self._gc is not None:
            self._gc.stop()
        self._tracker.stop()
        return False

    @property
    def running(self) -> bool:
        return bool(self._tracker.running)

    @property
    def profile(self) -> Profile:
        """Everything recorded so far, as a Profile (once the block has ended)."""
        if self._profile is None:
            self._profile = Profile(_with_gc(self._tracker.profile(), self._gc))
        return self._profile

    def totals(self) -> dict[str, int]:
        """The recorder's totals by name: heap_bytes (live now), peak_bytes,
        peak_ns, peak_allocs (live at the peak), alloc_bytes, allocs,
        live_allocs, dropped, own_bytes."""
        if self._totals is None or self._tracker.running:
            totals: dict[str, int] = dict(self._tracker.totals())
            if self._tracker.running:
                return totals
            self._totals = totals
        return dict(self._totals)

    @property
    def peak_bytes(self) -> int:
        """The peak of the tracked heap: the most bytes live at once."""
        return max(0, self.totals()["peak_bytes"])

    @property
    def alloc_bytes(self) -> int:
        """Every byte allocated while tracking (freed or not)."""
        return max(0, self.totals()["alloc_bytes"])

    @property
    def leaked_bytes(self) -> int:
        """The bytes allocated while tracking and still live at the end of the block."""
        return max(0, self.totals()["heap_bytes"])

    def render(self, format: str = "report", **options: Any) -> str | bytes:
        """The report as text (bytes for ``pyro``): format report, json, svg,
        collapsed, speedscope or pyro; ``metric`` ("peak", "allocated",
        "leaked") weighs the flame graphs, folded stacks and stacks."""
        return self.profile.render(format, **options)

    def print(self, format: str = "report", file: Any = None, **options: Any) -> None:
        """Print the memory report (to stdout by default)."""
        self.profile.print(format, file, **options)

    def save(self, path: str, format: str | None = None, **options: Any) -> None:
        """Write atomically, the format from the extension unless given:
        .txt, .json, .pyro (``pyrometer report``), .svg, .collapsed,
        .speedscope.json; ``metric=`` as for render()."""
        self.profile.save(path, format, **options)

    def __str__(self) -> str:
        return str(self.render())


def _seed_from_env() -> int:
    """PYROMETER_SEED, as ``pyrometer run`` reads it (0 when unset)."""
    import os

    text = os.environ.get("PYROMETER_SEED", "").strip()
    if not text:
        return 0
    try:
        seed = int(text, 0)
    except ValueError:
        seed = -1
    if not 0 <= seed < 1 << 64:
        raise ValueError(f"PYROMETER_SEED must be a whole number from 0 to 2**64-1, not {text!r}")
    return seed


def memory(
    *,
    exact: bool = False,
    sample_bytes: int | None = None,
    seed: int | None = None,
    native: bool = False,
    gc: bool = False,
    max_bytes: int = 0,
) -> Memory:
    """Track the memory a block allocates::

    with pyrometer.memory() as m:        # exact=True: every allocation;
        work()                           # native=True: malloc, mmap, ... of C code too
    m.print()                            # peak, live at the peak, leaks, top lines
    m.save("mem.svg", metric="leaked")   # or .pyro, .json, .collapsed, .speedscope.json
    print(m.peak_bytes, m.alloc_bytes, m.leaked_bytes)

    ``gc=True``: the garbage collector's collections too (docs/gc.md);
    ``max_bytes``: a cap on the profiler's own memory (see Memory).
    """
    return Memory(exact=exact, sample_bytes=sample_bytes, seed=seed, native=native, gc=gc, max_bytes=max_bytes)


def _with_gc(core: _core.Profile, watcher: _core.GCWatcher | None) -> _core.Profile:
    """`core` with the collections `watcher` recorded (None: as it is)."""
    if watcher is not None:
        watcher.export(core)
    return core
