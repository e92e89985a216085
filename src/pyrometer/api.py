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
    """

    def __init__(
        self, *, clock: str = "wall", builtins: bool = True, output: str | None = None, backend: str = "auto"
    ) -> None:
        self._tracer = _core.Tracer(clock=clock, builtins=builtins, backend=backend)
        for fn in (Trace.__exit__, Trace.__call__, Trace._report_at_exit):
            self._tracer.hide(fn)
        self._output = output
        self._profile: Profile | None = None

    # ==== context manager ====

    def __enter__(self) -> Trace:
        self._profile = None
        self._tracer.start()
        return self

    def __exit__(self, *exc: Any) -> Literal[False]:
        self._tracer.stop()
        return False

    @property
    def profile(self) -> Profile:
        """Everything traced so far (the tracer must not be running)."""
        if self._profile is None:
            self._profile = Profile(self._tracer.profile())
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
            try:
                return func(*args, **kwargs)
            finally:
                tracer.stop()

        tracer.hide(wrapper)
        wrapper.trace = self  # type: ignore[attr-defined]
        atexit.register(self._report_at_exit)
        return wrapper  # type: ignore[return-value]

    def _report_at_exit(self) -> None:
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
def trace(*, clock: str = "wall", builtins: bool = True, output: str | None = None) -> Trace: ...  # noqa: F811


def trace(  # noqa: F811
    func: Callable[..., Any] | None = None, *, clock: str = "wall", builtins: bool = True, output: str | None = None
) -> Any:
    """Trace every call, with exact counts like cProfile.

    ``with pyrometer.trace() as t: ...`` records the block (``t.profile``);
    ``@pyrometer.trace`` or ``@pyrometer.trace(output="f.prof")`` records every
    call of a function and reports at exit. A profile that lost calls for lack
    of memory is announced by ``IncompleteProfileWarning`` (see ``Trace``).
    """
    t = Trace(clock=clock, builtins=builtins, output=output)
    if func is not None:
        return t(func)
    return t
