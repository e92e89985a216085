"""The worker process of ``pyrometer bench``: ``python -m pyrometer._benchworker``.

It reads one JSON request on stdin, times the statement as asked and writes
one JSON line on its original stdout; the statement's own output goes to
/dev/null (``check`` mode captures it instead). A setup or statement that
raises prints its traceback on stderr and exits 1: the parent never gets a
timing of a failure.

Requests: ``{"mode": "calibrate" | "values" | "check", "setup": str, "stmt":
str, "loops": int, "values": int, "warmups": int, "min_time": float, "gc":
bool}``. Replies: ``{"loops": L}`` (calibrate), ``{"loops": L, "wall": [...],
"cpu": [...], "warmup": [...], "maxrss": bytes, "counters": {name: per
loop}}`` (seconds per loop; the worker's peak RSS; the perf counters of
@measure over the timed values, per loop), ``{"output": str}``
(check: what the statement printed, then the repr of its value when it is an
expression).
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import sys
import time
import traceback

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Inner = Callable[[Any, Callable[[], float], Callable[[], float]], "tuple[float, float]"]

#: Copies of the statement in one turn of the timing loop: the loop's own
#: cost (about 5-10 ns a turn) is shared by this many runs of the statement.
UNROLL = 10

_TEMPLATE = """
def inner(_it, _wall, _cpu):
{setup}
    _w0 = _wall()
    _c0 = _cpu()
    for _ in _it:
{stmt}
    _c1 = _cpu()
    _w1 = _wall()
    return _w1 - _w0, _c1 - _c0
"""


def _indent(code: str, width: int) -> str:
    return "\n".join(" " * width + line for line in code.splitlines()) or " " * width + "pass"


def compile_inner(setup: str, stmt: str, unroll: int) -> Inner:
    """The timing function of `stmt` after `setup`, `unroll` copies a turn.
    SyntaxError as Python reports it (the statement's own text is checked
    alone first, so that its message points into it)."""
    _remember("<setup>", setup)
    _remember("<stmt>", stmt)
    compile(setup, "<setup>", "exec")
    compile(stmt, "<stmt>", "exec")
    body = "\n".join([_indent(stmt, 8)] * unroll)
    src = _TEMPLATE.format(setup=_indent(setup, 4), stmt=body)
    ns: dict[str, Any] = {"__name__": "__main__"}
    _remember(f"<pyrometer bench, {unroll}>", src)
    exec(compile(src, f"<pyrometer bench, {unroll}>", "exec"), ns)
    inner: Inner = ns["inner"]
    return inner


def _remember(name: str, source: str) -> None:
    """Let tracebacks show the lines of generated code."""
    import linecache

    linecache.cache[name] = (len(source), None, source.splitlines(True), name)


def print_failure(exc: BaseException) -> None:
    """The traceback of `exc` from the first frame of the user's code (the
    setup or statement), without the worker's own frames."""
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<"):
        tb = tb.tb_next
    if isinstance(exc, SyntaxError) or tb is None:
        tb = None
    sys.stderr.write("".join(traceback.format_exception(type(exc), exc, tb)))


class Timer:
    """Runs `stmt` `loops` times after `setup`: seconds of wall and CPU time."""

    def __init__(self, setup: str, stmt: str) -> None:
        self.one = compile_inner(setup, stmt, 1)
        self.unrolled = compile_inner(setup, stmt, UNROLL)

    def time(self, loops: int) -> tuple[float, float]:
        if loops >= UNROLL and loops % UNROLL == 0:
            return self.unrolled(itertools.repeat(None, loops // UNROLL), time.perf_counter, time.process_time)
        return self.one(itertools.repeat(None, loops), time.perf_counter, time.process_time)


def next_loops(loops: int, elapsed: float, min_time: float) -> int:
    """The next loop count to try after `loops` took `elapsed` seconds, short
    of `min_time`: a 1-2-5 step at or above the estimate, at least the next
    step and at most 100 times more."""
    want = loops * 2.0 if elapsed <= 0 else min(loops * 100.0, loops * min_time / elapsed)
    n = 1
    while n < want or n <= loops:
        n = _next_step(n)
    return n


def _next_step(n: int) -> int:
    """The 1-2-5 series: 1, 2, 5, 10, 20, 50, ..."""
    digits = len(str(n)) - 1
    scale: int = 10**digits
    lead = n // scale
    return (2 if lead == 1 else 5 if lead == 2 else 10) * scale


def calibrate(timer: Timer, min_time: float) -> int:
    """A loop count whose value lasts at least `min_time`: the first 1-2-5
    step that does, then, above 10, the multiple of 10 that the time per loop
    says is 5% above `min_time`, if one value of it does last that long (a
    1-2-5 step alone could make a value last up to 2.5 times too long)."""
    loops = 1
    while True:
        wall, _ = timer.time(loops)
        if wall >= min_time:
            break
        loops = next_loops(loops, wall, min_time)
    if loops > 10:
        tight = -(-int(loops * min_time / wall * 1.05) // UNROLL) * UNROLL
        if tight < loops and timer.time(tight)[0] >= min_time:
            return tight
    return loops


def measure(timer: Timer, loops: int, count: int) -> tuple[list[float], list[float]]:
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(count):
        w, c = timer.time(loops)
        wall.append(w / loops)
        cpu.append(c / loops)
    return wall, cpu


def check_output(setup: str, stmt: str) -> str:
    """What `stmt` prints after `setup`, then the repr of its value when it is
    an expression."""
    import io
    from contextlib import redirect_stdout

    ns: dict[str, Any] = {"__name__": "__main__"}
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(setup, "<setup>", "exec"), ns)
        try:
            code = compile(stmt, "<stmt>", "eval")
        except SyntaxError:
            exec(compile(stmt, "<stmt>", "exec"), ns)
            value = None
        else:
            value = eval(code, ns)
            if value is not None:
                print(repr(value))
    return out.getvalue()


def serve(request: dict[str, Any]) -> dict[str, Any]:
    setup, stmt = request.get("setup", "pass"), request["stmt"]
    if request["mode"] == "check":
        return {"output": check_output(setup, stmt)}
    timer = Timer(setup, stmt)
    if not request.get("gc", True):
        gc.disable()
    if request["mode"] == "calibrate":
        return {"loops": calibrate(timer, request["min_time"])}
    loops = request["loops"]
    warm, _ = measure(timer, loops, request.get("warmups", 1))
    span = _span()
    if span is not None:
        span.start()
    wall, cpu = measure(timer, loops, request["values"])
    counters: dict[str, float] = {}
    if span is not None:
        span.stop()
        counters = {k: v / (loops * request["values"]) for k, v in span.counters.items()}
    return {"loops": loops, "wall": wall, "cpu": cpu, "warmup": warm, "maxrss": _maxrss(), "counters": counters}


def _span() -> Any:
    """A span of @measure counting its default events (page faults, context
    switches; hardware ones where there is a PMU), or None without them."""
    try:
        from pyrometer import _core

        return _core.Span(_core.MEASURE_EVENTS_DEFAULT)
    except (ImportError, AttributeError, OSError):
        return None


def _maxrss() -> int:
    """This process's peak resident set size in bytes (0 where unknown)."""
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    except (ImportError, OSError):
        return 0


def main() -> int:
    request = json.loads(sys.stdin.read())
    reply = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        result = serve(request)
    except BaseException as e:
        sys.stdout.flush()
        print_failure(e)
        return 1
    sys.stdout.flush()
    reply.write(json.dumps(result) + "\n")
    reply.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
