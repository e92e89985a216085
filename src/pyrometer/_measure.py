"""``@pyrometer.measure``: each call's wall time, CPU time, memory change and counters.

The readings, the statistics and every line of text come from the C engine
(``_core.Span``, ``_core.MeasureTable``); this module only wraps functions and
decides where the text goes. See docs/measure.md.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import logging
import os
import sys
import threading
from collections.abc import Generator, Iterable
from types import TracebackType
from typing import Any, Callable, TypeVar, overload

from . import _core

_F = TypeVar("_F", bound=Callable[..., Any])

_OFF = ("0", "false", "no", "off")


def _enabled() -> bool:
    """False when PYROMETER_MEASURE says off (read at decoration / with time)."""
    return os.environ.get("PYROMETER_MEASURE", "1").strip().lower() not in _OFF


def _event_mask(counters: Iterable[str] | None) -> int:
    if counters is None:
        return _core.MEASURE_EVENTS_DEFAULT
    if isinstance(counters, str):
        counters = [counters]
    mask = 0
    for name in counters:
        if name not in _core.STAT_EVENTS:
            raise ValueError(f"unknown event {name!r}; events: {', '.join(_core.STAT_EVENTS)}")
        mask |= 1 << _core.STAT_EVENTS.index(name)
    return mask


# ==== the summary at exit ====

_table = _core.MeasureTable()
_atexit_lock = threading.Lock()
_atexit_armed = False


def _print_summary() -> None:
    text = _table.render()
    if text:
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed at exit: nothing to tell
            pass


def _collect(name: str, span: _core.Span) -> None:
    global _atexit_armed
    _table.add(name, span)
    if not _atexit_armed:
        with _atexit_lock:
            if not _atexit_armed:
                atexit.register(_print_summary)
                _atexit_armed = True


def summary() -> str:
    """The summary table of every measure that collects (what is printed at exit), now."""
    return _table.render()


def results() -> dict[str, dict[str, Any]]:
    """Per name: ``calls``, ``failed`` and per figure ``{n, mean, stddev, min, max, total}``
    (seconds for wall and cpu, bytes for heap and rss, counts for events)."""
    return _table.rows()


def reset() -> None:
    """Forget what was collected (the summary at exit prints nothing unless more comes)."""
    _table.clear()


# ==== coroutines, step by step ====


def _steps(it: Generator[Any, Any, Any], span: _core.Span) -> Generator[Any, Any, Any]:
    """Drive `it` (a generator, or an awaitable's iterator) as ``yield from`` would,
    resuming `span` around each of its own steps."""
    send: Any = None
    exc: BaseException | None = None
    while True:
        span.resume()
        try:
            out = it.send(send) if exc is None else it.throw(exc)
        except StopIteration as stop:
            span.pause()
            return stop.value
        except BaseException:
            span.pause()
            raise
        span.pause()
        try:
            send = yield out
            exc = None
        except GeneratorExit:
            it.close()
            raise
        except BaseException as e:
            send, exc = None, e


class _Stepped:
    __slots__ = ("_it", "_span")

    def __init__(self, it: Generator[Any, Any, Any], span: _core.Span) -> None:
        self._it = it
        self._span = span

    def __await__(self) -> Generator[Any, Any, Any]:
        return _steps(self._it, self._span)


# ==== the measure ====


class Measure:
    """A measure: a decorator (``m(func)``) and a context manager (``with m:``).

    After a ``with`` block, ``wall`` and ``cpu`` (seconds), ``heap`` and ``rss``
    (bytes, or None), ``counters`` ({event: count}) and ``failed`` hold its figures
    (of the block that ended last, in any thread; blocks nest, per thread).
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        calls: bool = True,
        summary: bool = True,
        log: logging.Logger | str | None = None,
        counters: Iterable[str] | None = None,
    ) -> None:
        self.name = name
        self.calls = calls
        self.summary = summary
        self.logger = logging.getLogger(log) if isinstance(log, str) else log
        self.events = _event_mask(counters)
        self.enabled = _enabled()
        self._local = threading.local()  # this thread's open `with` blocks
        self._last: _core.Span | None = None

    # -- reporting --

    def _report(self, name: str, span: _core.Span) -> None:
        if self.calls:
            line = span.line(name)
            if self.logger is not None:
                self.logger.info("%s", line)
            else:
                sys.stderr.write(f"[measure] {line}\n")
        if self.summary:
            _collect(name, span)

    # -- decorator --

    def __call__(self, func: _F) -> _F:
        if not self.enabled:
            return func
        if inspect.isasyncgenfunction(func):
            raise TypeError(
                "measure does not wrap async generator functions: measure the code that "
                "consumes the generator (with pyrometer.measure(...): ...)"
            )
        name = self.name or getattr(func, "__qualname__", None) or repr(func)
        events = self.events
        report = self._report
        Span = _core.Span

        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def measured_gen(*args: Any, **kwargs: Any) -> Any:
                span = Span(events)
                span.start()
                failed = True
                try:
                    gen = func(*args, **kwargs)
                    span.pause()
                    result = yield from _steps(gen, span)
                    failed = False
                    return result
                except GeneratorExit:  # closed before the end: not a failure
                    failed = False
                    raise
                finally:
                    span.stop(failed=failed)
                    report(name, span)

            return measured_gen  # type: ignore[return-value]

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def measured_async(*args: Any, **kwargs: Any) -> Any:
                span = Span(events)
                span.start()
                failed = True
                try:
                    awaitable = func(*args, **kwargs)
                    span.pause()
                    result = await _Stepped(awaitable.__await__(), span)
                    failed = False
                    return result
                finally:
                    span.stop(failed=failed)
                    report(name, span)

            return measured_async  # type: ignore[return-value]

        @functools.wraps(func)
        def measured(*args: Any, **kwargs: Any) -> Any:
            span = Span(events)
            span.start()
            failed = True
            try:
                result = func(*args, **kwargs)
                failed = False
                return result
            finally:
                span.stop(failed=failed)
                report(name, span)

        return measured  # type: ignore[return-value]

    # -- context manager --

    def __enter__(self) -> Measure:
        if self.enabled:
            span = _core.Span(self.events)
            opened: list[_core.Span] | None = getattr(self._local, "open", None)
            if opened is None:
                opened = self._local.open = []
            opened.append(span)
            span.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        opened: list[_core.Span] | None = getattr(self._local, "open", None)
        if not self.enabled or not opened:
            return
        span = opened.pop()
        span.stop(failed=exc_type is not None)
        self._last = span
        name = self.name
        if name is None:
            frame = sys._getframe(1)
            name = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
        self._report(name, span)

    # -- the last `with` block's figures --

    @property
    def wall(self) -> float | None:
        return self._last.wall if self._last else None

    @property
    def cpu(self) -> float | None:
        return self._last.cpu if self._last else None

    @property
    def heap(self) -> int | None:
        return self._last.heap if self._last else None

    @property
    def rss(self) -> int | None:
        return self._last.rss if self._last else None

    @property
    def counters(self) -> dict[str, int]:
        return self._last.counters if self._last else {}

    @property
    def failed(self) -> bool:
        return self._last.failed if self._last else False


@overload
def measure(target: _F, /) -> _F: ...


@overload
def measure(
    target: str | None = None,
    /,
    *,
    calls: bool = True,
    summary: bool = True,
    log: logging.Logger | str | None = None,
    counters: Iterable[str] | None = None,
) -> Measure: ...


def measure(
    target: Any = None,
    /,
    *,
    calls: bool = True,
    summary: bool = True,
    log: logging.Logger | str | None = None,
    counters: Iterable[str] | None = None,
) -> Any:
    """Measure each call of a function (sync, async or a generator), or a ``with`` block.

    ``@measure``, ``@measure("name", calls=False)``, ``with measure("name") as m:``.
    Each call's wall time, CPU time of the calling thread (a coroutine, or a
    generator over its whole iteration: the sum of its own steps), memory change
    (tracked heap while a pyrometer memory tracker runs, and RSS) and counters
    (``counters``: event names; default page faults, context switches and, with a
    PMU, cycles, instructions, cache and branch misses) are written as one line to
    stderr (``calls=True``), or to ``log`` (a Logger or its name, at INFO), and
    collected for a summary table printed at exit (``summary=True``). With
    ``PYROMETER_MEASURE=0`` the decorator returns the
    function itself and ``with`` measures nothing.
    """
    if callable(target) and not isinstance(target, str):
        if not _enabled():
            return target
        return Measure(calls=calls, summary=summary, log=log, counters=counters)(target)
    if target is not None and not isinstance(target, str):
        raise TypeError("measure(name): name must be a str")
    return Measure(target, calls=calls, summary=summary, log=log, counters=counters)
