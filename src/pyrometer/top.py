"""``pyrometer top``: a live view of where a Python process spends its time.

The sampling and the per-function sums are the C engine's; this module only
keeps the running totals between refreshes, draws the screen and reads keys.
"""

from __future__ import annotations

import os
import select
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Optional, TextIO

SORTS = ("own", "total", "owntime", "totaltime")
Key = tuple[str, str, int]  # qualname, file, first line


CLOCKS = ("wall", "cpu")
ThreadId = tuple[int, int]  # ident, native id
Scope = tuple[str, Optional[ThreadId]]  # clock, thread (None = all threads)


@dataclass
class Row:
    own: float = 0.0  # seconds, this refresh
    total: float = 0.0
    own_all: float = 0.0  # seconds, since the start
    total_all: float = 0.0


@dataclass
class View:
    """What `top` shows: totals per function, for all threads or one, on
    one clock. Every refresh is folded into the totals of every clock and
    every thread, so switching clock or thread switches every column."""

    sort: str = "own"
    clock: str = "wall"
    thread: int = -1  # index into `threads`, -1 = all
    threads: list[dict[str, Any]] = field(default_factory=list)
    scopes: dict[Scope, dict[Key, Row]] = field(default_factory=dict)
    windows: dict[Scope, float] = field(default_factory=dict)  # seconds of samples in the last refresh
    elapsed: float = 0.0
    samples: int = 0
    target: str = ""  # the target's Python version, as the sampler names it (3.14.7t)
    free_threaded: bool = False  # no GIL to report (unless the target enabled one)

    def scope(self) -> Scope:
        """The clock and thread shown."""
        if 0 <= self.thread < len(self.threads):
            t = self.threads[self.thread]
            return self.clock, (t["ident"], t["native_id"])
        return self.clock, None

    @property
    def rows(self) -> dict[Key, Row]:
        return self.scopes.get(self.scope(), {})

    @property
    def window(self) -> float:
        return self.windows.get(self.scope(), 0.0)

    def update(self, profile: Any, seconds: float) -> None:
        """Fold one refresh's profile into the view."""
        self.elapsed += seconds
        meta = profile.meta
        self.target = meta.get("target_python", self.target)
        self.free_threaded = "target_gil" in meta
        threads = profile.threads
        names = {(t["ident"], t["native_id"]): t for t in threads}
        for t in self.threads:  # keep threads seen before, with fresh numbers
            names.setdefault((t["ident"], t["native_id"]), dict(t, samples=0, running=0, gil=0))
        self.threads = sorted(names.values(), key=lambda t: t["native_id"])
        for rows in self.scopes.values():
            for row in rows.values():
                row.own = row.total = 0.0
        self.windows = {}
        wanted: list[tuple[int, ThreadId | None]] = [(-1, None)]
        wanted += [(i, (t["ident"], t["native_id"])) for i, t in enumerate(threads)]
        for clock in CLOCKS:
            for index, thread in wanted:
                rows = self.scopes.setdefault((clock, thread), {})
                window = 0.0
                for _name, qualname, file, line, own, total in profile.functions(clock=clock, thread=index):
                    row = rows.setdefault((qualname, file, line), Row())
                    row.own, row.total = own, total
                    row.own_all += own
                    row.total_all += total
                    window += own
                self.windows[(clock, thread)] = window
        self.samples += sum(t["samples"] for t in threads)

    def lines(self, width: int, height: int, header: list[str]) -> list[str]:
        key = {
            "own": lambda r: (r[1].own, r[1].own_all),
            "total": lambda r: (r[1].total, r[1].total_all),
            "owntime": lambda r: (r[1].own_all,),
            "totaltime": lambda r: (r[1].total_all,),
        }[self.sort]
        rows = sorted(self.rows.items(), key=key, reverse=True)
        out = list(header)
        scope = "all threads"
        if 0 <= self.thread < len(self.threads):
            t = self.threads[self.thread]
            scope = f"thread {t['name'] or t['native_id']} ({t['native_id']})"
        out.append(
            f"{scope}; {self.clock} time; sorted by {self.sort}   [1-4] sort  [t] next thread  [c] clock  [q] quit"
        )
        out.append("")
        out.append(f"{'%Own':>6} {'%Total':>7} {'OwnTime':>9} {'TotalTime':>10}  Function (file:line)")
        window = self.window or 1.0
        for (qualname, file, line), r in rows[: max(0, height - len(out))]:
            where = _short(file)
            text = (
                f"{100 * r.own / window:5.1f}% {100 * r.total / window:6.1f}% "
                f"{r.own_all:8.2f}s {r.total_all:9.2f}s  {qualname} ({where}:{line})"
            )
            out.append(text[:width])
        return out


def _short(path: str) -> str:
    cwd = os.getcwd() + os.sep
    return path[len(cwd) :] if path.startswith(cwd) else path


def header(pid: int, command: str, view: View) -> list[str]:
    per = []
    for t in view.threads:
        n = t["samples"] or 1
        # a free-threaded target has no GIL to hold: its share is not shown as 0%
        gil = "" if view.free_threaded else f", {100 * t['gil'] / n:.0f}% GIL"
        per.append(f"{t['name'] or t['native_id']}: {100 * t['running'] / n:.0f}% on-CPU{gil}")
    python = f", Python {view.target}" if view.target else ""
    return [
        f"pyrometer top: process {pid} ({command[:80]}){python}, {view.elapsed:.0f}s, {view.samples} samples",
        "threads: " + ("; ".join(per) if per else "(none sampled yet)"),
    ]


class Keys:
    """Single key presses from a terminal (cbreak mode), restored on exit."""

    def __init__(self, stream: TextIO) -> None:
        self.fd = -1
        self.saved: Any = None
        try:
            import termios
            import tty

            if stream.isatty():
                self.fd = stream.fileno()
                self.saved = termios.tcgetattr(self.fd)
                tty.setcbreak(self.fd)
        except (ImportError, OSError, ValueError):
            self.fd = -1

    def read(self, timeout: float) -> str | None:
        if self.fd < 0:
            time.sleep(timeout)
            return None
        ready, _, _ = select.select([self.fd], [], [], timeout)
        return os.read(self.fd, 1).decode(errors="replace") if ready else None

    def close(self) -> None:
        if self.fd >= 0 and self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


def _refresh(
    sampler: Any,
    view: View,
    keys: Keys | None,
    out: TextIO,
    live: bool,
    interval: float,
    duration: float | None,
    start: float,
    command: str,
) -> None:
    """run's loop, a function of its own: KeyboardInterrupt (Ctrl-C, SIGTERM,
    SIGHUP) raised at a loop's jump back can be outside the enclosing try's
    handlers (missing from the exception table: this loop on 3.14); from a
    call, it is always inside them (as cli._sample_until)."""
    sampler.start()
    last = time.monotonic()
    while True:
        deadline = last + interval
        quit_now = False
        while time.monotonic() < deadline and not sampler.finished:
            key = keys.read(min(0.05, max(0.0, deadline - time.monotonic()))) if keys else None
            if key is None:
                if not keys:
                    time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
                continue
            if key in "qQ":
                quit_now = True
                break
            if key in "1234":
                view.sort = SORTS[int(key) - 1]
            elif key in "tT":
                view.thread = view.thread + 1 if view.thread + 1 < len(view.threads) else -1
            elif key in "cC":
                view.clock = "cpu" if view.clock == "wall" else "wall"
            break  # redraw at once with the new setting
        now = time.monotonic()
        view.update(sampler.take(), now - last)
        last = now
        size = os.get_terminal_size(out.fileno()) if live else os.terminal_size((120, 40))
        text = view.lines(size.columns, size.lines - 1, header(sampler.pid, command, view))
        if live:
            out.write("\033[H\033[2J" + "\n".join(text))
        else:
            out.write("\n".join(text) + "\n\n")
        out.flush()
        if quit_now or sampler.finished:
            break
        if duration is not None and now - start >= duration:
            break


def run(
    sampler: Any, command: str, out: TextIO, interval: float, duration: float | None, clock: str, sort: str
) -> None:
    """Refresh every `interval` seconds until q, Ctrl-C, `duration` or the
    process exits. On a terminal the screen is redrawn in place; otherwise
    each refresh is printed as a block of text."""
    view = View(sort=sort, clock=clock)
    live = out.isatty()
    keys = Keys(sys.stdin) if live else None
    start = time.monotonic()
    if live:
        out.write("\033[?1049h\033[?25l")  # alternate screen, hide the cursor
    try:
        _refresh(sampler, view, keys, out, live, interval, duration, start, command)
    except KeyboardInterrupt:
        pass
    finally:
        sampler.stop(warn=False)  # said below, once the terminal shows the normal screen again
        if keys:
            keys.close()
        if live:
            try:
                out.write("\033[?25h\033[?1049l")
                out.flush()
            except OSError:  # the terminal is gone (SIGHUP)
                pass
    error = sampler.info["error"]
    if error:
        from . import _core

        print(f"pyrometer: sampling stopped early: {_core.strerror(error)}", file=sys.stderr)
