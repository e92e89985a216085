"""The ``pyrometer`` command line: argument parsing and wiring, nothing else.

Exit statuses, a scheme a script can rely on:

* pyrometer's own failures before the program starts (``run``), and every
  failure of the commands that run no program of theirs (``report``,
  ``attach``, ``top``, ``dump``), print one line ``pyrometer: ...`` on
  stderr and exit with pyrometer's status:

  2  usage error: bad option, an option the mode has no use for, missing
     script or module, nothing to run
  3  the output file cannot be written (``run``: refused before the program
     starts)
  4  a profile file given to ``report`` is missing, corrupt or of another kind
  5  ``attach``/``top``/``dump``: no such process
  6  ``attach``/``top``/``dump``: not permitted to read the process (the
     message says why, and what would change it)
  7  ``attach``/``top``/``dump``: the process is not CPython, or a version
     pyrometer cannot read
  8  ``run --mode trace``, ``lines`` or ``memory`` on a free-threaded Python running
     without the GIL: exact tracing and the allocator hooks need the GIL (the message
     says to set PYTHON_GIL=1)
  9  ``report --format lines --function F``: no sampled function matches F
     (the message lists close matches)
  10 ``report --format lines`` of a profile without lines (a trace, a pstats
     file): the line view needs a sampled profile
  11 ``run --mode lines`` or ``memory``: a ``--function`` or ``--module`` names a file or
     module that does not exist, or a function its file does not define (the
     message lists close matches); found before the program starts, from the
     source files alone
  12 ``run --mode lines`` chose no function and the program succeeded (below)
  13 ``bench --min-speedup X``: a variant's speedup over the first is not shown
     to be at least X (the lower bound of its confidence interval is below X)
  14 ``run --event E``, ``attach --event E``, ``run --mode trace --counters E,...``:
     this machine cannot sample or count event E (no PMU for a hardware event,
     perf_event_paranoid, no perf events): the message says why and lists the
     events it can use

* Once the program has started, its status always passes through unchanged:
  ``sys.exit(n)``, 1 for an uncaught exception, ``os._exit(n)``, death by a
  signal (``run --blocking``, whose program is a child: 128 + the signal's
  number). A program that exits with 3 ends ``pyrometer run`` with 3.
* ``run --mode lines`` that chose no function (no ``@profile`` ran, no
  ``--function``/``--module``): the program runs, then one line says how to
  choose; if the program succeeded (0), pyrometer exits with 12, so that a
  script checking for 0 notices that nothing was timed. A program that
  failed keeps its own status.
* A profile that cannot be written after the program ended (``-o`` became
  unwritable, stderr is gone) is reported on stderr; if the program
  succeeded (status 0), pyrometer then exits with 3, so that a script
  checking for 0 notices the missing profile. A program that failed keeps
  its own status.

So a status of 0 means the program succeeded and the profile was written; a
non-zero status after the program started is the program's, or 3 when it
succeeded but its profile was lost.
"""

from __future__ import annotations

import os
import sys

from . import __version__, _core
from ._opts import Opt, add_to, quick_parse, settle
from .runner import Channel, LaunchError, Program, Session, exit_with, flush_program_streams, install, prepare

# `typing` and `argparse` are not imported for `run`: its start-up is the
# profiler's overhead on a short program (see _opts). mypy takes any
# `TYPE_CHECKING` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Collection, Sequence
    from typing import Any, Callable, NoReturn, TypeVar

    T = TypeVar("T")

EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_BADFILE = 4
EXIT_NOPROC = 5
EXIT_PERM = 6
EXIT_NOTPY = 7
EXIT_NOGIL = 8
EXIT_NOMATCH = 9
EXIT_NOLINES = 10
EXIT_NOFUNC = 11
EXIT_NOCHOICE = 12
EXIT_NOEVENT = 14

#: Functions the line view (--format lines) shows unless --limit says otherwise.
LINES_LIMIT = 5

MODES = ("sample", "trace", "lines", "memory")
#: What ``--metric`` weighs a memory profile's flame graphs, folded stacks and stacks by.
METRICS = ("peak", "allocated", "leaked")
#: What --metric weighs a profile of run --event by: the event's counts.
EVENT_METRIC = "events"
#: Memory mode's mean sampling interval in bytes (the recorder owns it).
MEMORY_SAMPLE_BYTES_DEFAULT: int = getattr(_core, "MEMORY_SAMPLE_BYTES_DEFAULT", 4096)
FORMATS = tuple(_core.format_names())


class CliError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _fail(message: str, status: int) -> NoReturn:

    raise CliError(message, status)


# ==== options: each declared once, every command takes its own from here ====

RATE = Opt(
    ("--rate",),
    "float",
    _core.RATE_DEFAULT,
    metavar="HZ",
    low=_core.RATE_MIN,
    high=_core.RATE_MAX,
    unit="samples per second",
    help=f"samples per second, {_core.RATE_MIN:g} to {_core.RATE_MAX:g} (default: {_core.RATE_DEFAULT:g}); "
    f"run --memory takes {_core.RATE_MEMORY:g} unless given, its allocator hooks already costing about a tenth",
)
CLOCK = Opt(
    ("--clock",),
    choices=("wall", "cpu"),
    default="wall",
    help="wall: elapsed time (default); cpu: only time on a CPU. Sampling records both and this "
    "picks the one reported; tracing reads the chosen clock",
)
BLOCKING = Opt(
    ("--blocking",),
    "true",
    help="stop the program's threads while each stack is read (ptrace), so that every stack is exact "
    "even in code that returns to the same state within microseconds; the program pauses for each "
    "sample (tens of microseconds), and a debugger cannot be attached meanwhile. `run --blocking` "
    "runs the program as a child process. Default: read the stacks without stopping anything",
)
OUTPUT_HELP = "write to FILE instead of the terminal; the format comes from the extension: " + ", ".join(
    f"{ext} ({fmt})" for ext, fmt in _core.FORMAT_EXTENSIONS
)
OUTPUT = Opt(("-o", "--output"), metavar="FILE", help=OUTPUT_HELP)
FORMAT = Opt(
    ("--format",),
    choices=FORMATS,
    help=f"output format, overriding the extension (default: {_core.DEFAULT_FORMAT}, or from -o's extension)",
)
DURATION = Opt(
    ("--duration",),
    "float",
    metavar="S",
    low=0,
    low_open=True,
    unit="seconds",
    help="seconds to record (default: until Ctrl-C, SIGTERM or the process exits)",
)
COLOR = Opt(
    ("--color",),
    choices=("auto", "always", "never"),
    default="auto",
    help="color the terminal output (default: auto: when writing to a terminal and NO_COLOR is unset)",
)
UNIT = Opt(
    ("--unit",),
    choices=_core.TIME_UNITS,
    help="the report of exact line timing (--mode lines): the unit of its times (default: chosen from "
    "the data, the finest in which the columns stay narrow; line_profiler's is us)",
)
PID = Opt(("pid",), help="the process id of a CPython 3.9-3.15 (or free-threaded 3.13t-3.15t) program")

_DEFAULTS = _core.RENDER_DEFAULTS
RENDER_OPTS = (
    Opt(
        ("--sort",),
        default=_DEFAULTS["sort"],
        choices=_core.SORTS,
        help=f"table order, and of the sample report's hottest lines (default: {_DEFAULTS['sort']})",
    ),
    Opt(
        ("--limit",),
        "int",
        _DEFAULTS["limit"],
        metavar="N",
        low=0,
        help=f"table rows, or the sample report's hottest lines; 0 = all (default: {_DEFAULTS['limit']}); "
        f"with --format lines, the functions shown (default: {LINES_LIMIT}); in the report of a lines profile, "
        "the functions with the most time (default: all)",
    ),
    Opt(
        ("--callers",),
        "int",
        _DEFAULTS["callers"],
        metavar="N",
        low=0,
        help=f"show callers and callees of the top N rows (default: {_DEFAULTS['callers']}, 0 = none)",
    ),
    Opt(
        ("--threshold",),
        "float",
        _DEFAULTS["threshold"] * 100,
        metavar="PCT",
        low=0,
        high=100,
        help=f"tree and the sample report's hottest lines: hide what is under PCT%% of the total "
        f"(default: {_DEFAULTS['threshold'] * 100:g})",
    ),
    Opt(
        ("--show-all",),
        "true",
        help="sample tree: show library frames (the standard library, site-packages) instead of folding each run "
        "of them into one '[N library frames]' line",
    ),
    COLOR,
)


def _add_options(p: argparse.ArgumentParser, opts: Sequence[Opt], render: bool = True) -> None:
    add_to(p, opts)
    if render:
        add_to(p.add_argument_group("report options"), RENDER_OPTS)


def _parse(p: argparse.ArgumentParser, opts: Sequence[Opt], argv: Sequence[str]) -> tuple[Any, set[str]]:
    """Parse `argv` with `p` (declared from `opts`): the values with their
    defaults, and the options given; a value out of range is a usage error."""
    args = p.parse_args(argv)
    return args, _settle(opts, args)


def _settle(opts: Sequence[Opt], args: Any) -> set[str]:
    given, problem = settle(opts, args)
    if problem:
        _fail(problem, EXIT_USAGE)
    return given


def _refuse(given: set[str], opts: Sequence[Opt], dests: Sequence[str], why: str) -> None:
    """A usage error naming the first option of `dests` that was given."""
    for o in opts:
        if o.dest in dests and o.dest in given:
            _fail(f"{o.name} {why}", EXIT_USAGE)


def _parser(**kw: Any) -> argparse.ArgumentParser:
    """An argparse parser whose help is as wide as the terminal.

    argparse would import ``shutil`` (and with it bz2, lzma, zlib) for the width."""
    import argparse

    columns = 0
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        pass
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    width = (columns or 80) - 2  # what shutil.get_terminal_size would give argparse

    class Formatter(argparse.HelpFormatter):
        def __init__(self, prog: str) -> None:
            super().__init__(prog, width=width)

    return argparse.ArgumentParser(formatter_class=Formatter, **kw)


def _color(choice: str, isatty: Callable[[], bool]) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _render_kwargs(args: Any, color: bool, fmt: str = "", given: Collection[str] = ()) -> dict[str, Any]:
    """The render options of `args`; the line view (`fmt` "lines") shows
    LINES_LIMIT functions unless --limit was given."""
    return dict(
        sort=args.sort,
        limit=LINES_LIMIT if fmt == "lines" and "limit" not in given else args.limit,
        callers=args.callers,
        threshold=args.threshold / 100.0,
        color=color,
        strip=os.getcwd(),
        clock=getattr(args, "clock", None) or "wall",
        show_all=args.show_all,
        unit=getattr(args, "unit", None) or "",
        metric="" if getattr(args, "metric", None) in (None, "cpu") else args.metric,
    )


def _output_format(path: str | None, fmt: str | None) -> str:
    """The format for ``-o path`` / ``--format``; a bad choice is a usage error."""
    if fmt:
        if fmt not in FORMATS:
            _fail(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}", EXIT_USAGE)
        return str(fmt)
    if path is None:
        return str(_core.DEFAULT_FORMAT)
    guessed = _core.format_from_path(path)
    if guessed is None:
        exts = " ".join(ext for ext, _ in _core.FORMAT_EXTENSIONS)
        _fail(f"cannot tell the format of {path!r} from its extension; use one of {exts}, or give --format", EXIT_USAGE)
    return guessed


def _check_output(path: str | None, fmt: str) -> None:
    """Refuse, before anything runs, an output we could not write: a binary
    format for the terminal, or a path we cannot write.

    The directory is probed by creating (and removing) a temporary file in
    it, which catches permissions, ACLs and read-only file systems alike; an
    existing file is left untouched (the profile replaces it atomically)."""
    if path is None:
        if fmt in _core.BINARY_FORMATS:
            _fail(f"--format {fmt} is binary: give -o FILE", EXIT_USAGE)
        return
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        _fail(f"cannot write {path!r}: it is a directory", EXIT_OUTPUT)
    if not os.path.isdir(directory):
        _fail(f"cannot write {path!r}: directory {directory!r} does not exist", EXIT_OUTPUT)
    try:
        probe = os.path.join(directory, f".pyrometer-{os.getpid()}.probe")
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as e:
        _fail(f"cannot write {path!r}: {e.strerror}", EXIT_OUTPUT)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        _fail(f"cannot write {path!r}: the file is read-only", EXIT_OUTPUT)


def _deliver(profile: Any, path: str | None, fmt: str, render: dict[str, Any], out: Channel) -> int:
    """Write `profile` to `path` (saying so), or its report to `out`. 0, or
    EXIT_OUTPUT after saying on `out` why it could not be written."""
    try:
        if path:
            profile.write(path, fmt, **render)
            out.say(f"wrote {path}")
            return 0
        if out.write(str(profile.render(fmt, **render))):
            return 0
        return EXIT_OUTPUT  # stderr is gone: nowhere to say so
    except OSError as e:
        out.say(f"cannot write {path!r}: {e.strerror}")
    except _core.ProfileError as e:
        out.say(f"cannot make a {fmt}: {e}")
    return EXIT_OUTPUT


# ==== run ====

RUN_USAGE = "pyrometer run [options] (script.py | -m module | -c code) [args ...]"

MODE = Opt(
    ("--mode",),
    choices=MODES,
    default="sample",
    help="sample (default): every thread's stack --rate times a second, almost no overhead; "
    "trace: every call, exact counts like cProfile; lines: the time and hits of every line of the "
    "functions chosen with @profile, --function or --module, like kernprof -l; memory: every Python "
    "allocation (sampled by bytes unless --exact) attributed to its stack and line: the peak, what was "
    "never freed, the top lines, and memory_profiler's per-line table of the functions chosen as in lines "
    "mode (see docs/memory.md)",
)
NO_BUILTINS = Opt(
    ("--no-builtins",),
    "false",
    dest="builtins",
    help="trace mode: trace Python functions only, not C functions (builtins, methods); faster",
)
BACKEND = Opt(
    ("--backend",),
    choices=("auto", "legacy", "monitoring", "frame"),
    default="auto",
    help="trace mode: interpreter hooks that feed the tracer: auto picks the fastest exact one for this "
    "Python; legacy = PyEval_SetProfile (3.9-3.11), monitoring = sys.monitoring (3.12+), "
    "frame = the PEP 523 frame hook (Python functions; with builtins only on 3.12+, beside "
    "sys.monitoring)",
)
FUNCTIONS = Opt(
    ("--function",),
    "append",
    dest="functions",
    metavar="F",
    help="lines mode: time every line of function F; memory mode: a table of what each of its lines allocated "
    "(like memory_profiler). F: path/to/file.py:QUALNAME or package.module:QUALNAME "
    "(Class.method, outer.<locals>.inner), or a QUALNAME of the program's own file; repeatable",
)
MODULES = Opt(
    ("--module",),
    "append",
    dest="modules",
    metavar="M",
    help="lines mode: time every line of every function of module M (package.module); memory mode: a table "
    "of what each line of each of them allocated; repeatable",
)
EXACT = Opt(
    ("--exact",),
    "true",
    help="memory mode: record every allocation instead of sampling by bytes (slower; exact numbers)",
)
NATIVE = Opt(
    ("--native",),
    "true",
    help="memory mode: also track malloc, calloc, realloc, free, posix_memalign, mmap, munmap, ... called "
    "by C extensions and the libraries they load (numpy's arrays, for instance), each at the Python line "
    "that caused it (Linux on x86-64 or AArch64)",
)
SAMPLE_BYTES = Opt(
    ("--sample-bytes",),
    metavar="SIZE",
    help="memory mode: record one allocation per SIZE bytes allocated on average (4096, 64K, 1M, 2MiB; "
    f"default: {MEMORY_SAMPLE_BYTES_DEFAULT}); an allocation's chance to be recorded grows with its size "
    "and each record is weighed back, so totals stay unbiased. Set PYROMETER_SEED=N for repeatable sampling",
)
MAX_MEMORY = Opt(
    ("--max-memory",),
    metavar="SIZE",
    help="memory mode: cap on the profiler's own memory (64M, 1G; default: none): records past it are dropped "
    "and counted, the report says how many, and the program is not affected",
)
METRIC = Opt(
    ("--metric",),
    choices=("cpu", *METRICS, EVENT_METRIC),
    help="memory profiles: what flame graphs, folded stacks, speedscope and the report's stacks weigh: "
    "peak (live at the peak of the tracked heap; the default), allocated (every byte allocated) or leaked "
    "(live at the end); a profile of run --memory: cpu (time, the default) or one of those, which also "
    "ranks the report's lines",
)
MEMORY = Opt(
    ("--memory",),
    "true",
    help="sample mode: track memory too, as --mode memory does (sampled by bytes unless --exact; "
    "--sample-bytes), in the same run: the report shows each line's time beside the bytes it "
    "allocated, still live at exit and live at the peak, and the memory summary; --metric weighs "
    "flame graphs by memory (see docs/memory.md, CPU and memory together)",
)
EVENT = Opt(
    ("--event",),
    metavar="EVENT",
    help="sample mode: also sample on a perf event and add each sample's count to the Python line "
    "and stack that made it: page-faults, minor-faults, major-faults, context-switches, cpu-migrations, "
    "task-clock, and where the machine has a PMU cycles, instructions, cache-references, cache-misses, "
    "branches, branch-misses. The report adds the lines by that event; --metric events weighs flame "
    "graphs by it (see docs/events.md). An event this machine cannot sample: the list of those it can",
)
PERIOD = Opt(
    ("--period",),
    "int",
    metavar="N",
    low=1,
    unit="events",
    help="with --event: one sample every N events (default: the event's own, about a thousand "
    "samples a second at most on a busy program; see docs/events.md)",
)
COUNTERS = Opt(
    ("--counters",),
    metavar="EVENT,...",
    help="trace mode: also count up to 4 perf events per call (page-faults, context-switches, ...; as "
    "--event) and give each function its own count and its count with callees in the report's table "
    "and the profile (a system call per event at every call and return: about a microsecond each; "
    "see docs/events.md)",
)
GC = Opt(
    ("--gc",),
    "true",
    help="also record every garbage collection: its generation, pause, objects collected and "
    "uncollectable, the line that was running; in memory mode the bytes it freed; on CPython 3.13+ the "
    "types of the objects it freed. The report gets a 'Garbage collector' section (any mode; see docs/gc.md)",
)
RUN_OPTS = (
    MODE,
    MEMORY,
    EVENT,
    PERIOD,
    COUNTERS,
    RATE,
    CLOCK,
    BLOCKING,
    NO_BUILTINS,
    BACKEND,
    FUNCTIONS,
    MODULES,
    UNIT,
    EXACT,
    NATIVE,
    SAMPLE_BYTES,
    MAX_MEMORY,
    METRIC,
    GC,
    OUTPUT,
    FORMAT,
)

_FOR_SAMPLE = "is for --mode sample: tracing records every call, and its tree folds no library frames"
_LINES_ONLY = (("functions", "modules", "unit"), "is for --mode lines: exact line timing of chosen functions")
_MEMORY_ONLY = (
    ("exact", "native", "sample_bytes", "max_memory", "metric"),
    "is for --mode memory (or --memory with sampling): it measures memory, not time",
)
#: --event in a mode other than sample: (dests, why).
_EVENT_FLAG = (
    ("event", "period"),
    "is for --mode sample (the default): events are sampled beside the time samples",
)
#: --counters in a mode other than trace: (dests, why).
_COUNTERS_FLAG = (
    ("counters",),
    "is for --mode trace: counts per call need every call (--event samples them in sample mode)",
)
#: --memory in a mode other than sample: (dests, why).
_MEMORY_FLAG = (
    ("memory",),
    "is for --mode sample (the default): it tracks memory beside the samples; --mode memory tracks memory alone",
)
#: Options that have no effect in a mode, refused there with a usage error: (dests, why) pairs.
NOT_IN_MODE = {
    "sample": (
        (("builtins", "backend"), "is for --mode trace: sampling installs no hooks"),
        _LINES_ONLY,
        _MEMORY_ONLY,
        _COUNTERS_FLAG,
    ),
    "trace": ((("rate", "blocking", "show_all"), _FOR_SAMPLE), _LINES_ONLY, _MEMORY_ONLY, _MEMORY_FLAG, _EVENT_FLAG),
    "lines": (
        (("rate", "blocking", "show_all"), "is for --mode sample: line timing records every line it is given"),
        (("builtins", "backend"), "is for --mode trace: line timing times lines, not calls"),
        (("clock",), "is for --mode sample and trace: line timing reads the wall clock"),
        (
            ("sort", "callers", "threshold"),
            "is for the table and the tree: the line report lists each function's lines",
        ),
        _MEMORY_ONLY,
        _MEMORY_FLAG,
        _EVENT_FLAG,
        _COUNTERS_FLAG,
    ),
    "memory": (
        _MEMORY_FLAG,
        _EVENT_FLAG,
        _COUNTERS_FLAG,
        (("rate", "blocking", "show_all"), "is for --mode sample: memory mode records allocations, not samples"),
        (("builtins", "backend"), "is for --mode trace: memory mode records allocations, not calls"),
        (("clock",), "is for --mode sample and trace: memory mode measures bytes, not time"),
        (("unit",), "is for --mode lines: memory mode measures bytes, not time"),
        (
            ("sort", "callers", "threshold"),
            "is for the table and the tree: the memory report ranks by bytes (see --metric)",
        ),
    ),
}


def _split_run_args(argv: Sequence[str]) -> tuple[list[str], Program | None]:
    """Split ``run``'s arguments into pyrometer's options and the program.

    Everything from the script (the first argument that is not an option or
    an option's value), or from ``-m X`` / ``-c X``, belongs to the program.
    """
    takes_value = {f for o in RUN_OPTS + RENDER_OPTS if o.takes_value for f in o.flags}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-m", "-c"):
            if i + 1 >= len(argv):
                _fail(f"argument {a}: expected one argument", EXIT_USAGE)
            kind = "module" if a == "-m" else "command"
            return list(argv[:i]), Program(kind, argv[i + 1], list(argv[i + 2 :]))
        if a.startswith("-m") and len(a) > 2 and not a.startswith("--"):
            return list(argv[:i]), Program("module", a[2:], list(argv[i + 1 :]))
        if a == "--":
            if i + 1 >= len(argv):
                break
            return list(argv[:i]), Program("script", argv[i + 1], list(argv[i + 2 :]))
        if a.startswith("-") and a != "-":
            if a in takes_value:
                i += 2
                continue
            i += 1
            continue
        return list(argv[:i]), Program("script", a, list(argv[i + 1 :]))
    return list(argv), None


def _run_parser() -> argparse.ArgumentParser:
    p = _parser(
        prog="pyrometer run",
        usage=RUN_USAGE,
        description="Run a Python program under the profiler. The program gets its own argv, "
        "__main__, sys.path[0], streams and exit status, exactly as with `python`. "
        "Without -o, a report is printed to stderr when it ends; with -o, the file is written "
        "and named on stderr. Once the program has started, its exit status passes through "
        "(see `pyrometer --help` for the statuses).",
    )
    _add_options(p, RUN_OPTS)
    return p


def cmd_run(argv: Sequence[str]) -> int:
    opts, program = _split_run_args(argv)
    table = RUN_OPTS + RENDER_OPTS
    args: Any = quick_parse(table, opts) if program is not None else None
    if args is None:
        parser = _run_parser()
        args = parser.parse_args(opts)
    if program is None:
        parser.print_usage(sys.stderr)
        _fail("nothing to run: give a script, -m module or -c code", EXIT_USAGE)
    given = _settle(table, args)
    for dests, why in NOT_IN_MODE[args.mode]:
        refused: tuple[str, ...] = dests
        if args.mode == "sample" and (dests, why) == _MEMORY_ONLY:
            if args.memory:
                continue  # sample mode with --memory: the memory options apply
            if args.event is not None:
                refused = tuple(d for d in dests if d != "metric")  # --metric events
        _refuse(given, table, refused, why)
    if args.mode == "memory" or args.memory:
        if args.blocking and args.memory:
            _refuse(
                given, table, ("blocking",), "samples from another process: --memory tracks allocations in this one"
            )
        if args.metric == "cpu" and not args.memory:
            _fail("--metric cpu: a memory profile has no time (use peak, allocated or leaked)", EXIT_USAGE)
        if args.exact:
            _refuse(given, table, ("sample_bytes",), "is for sampled memory mode: --exact records every allocation")
        sample_bytes = parse_size(args.sample_bytes) if args.sample_bytes is not None else 0
        args.max_bytes = parse_size(args.max_memory, "--max-memory") if args.max_memory is not None else 0
        seed = _seed()
    if args.gc and args.blocking:
        _fail(GC_BLOCKING, EXIT_USAGE)
    if args.mode == "sample":
        _event_checks(given, table, args)
    counters = _counter_names(args.counters) if args.mode == "trace" and args.counters is not None else None
    fmt = _output_format(args.output, args.format)
    if fmt == "lines" and args.mode == "trace":
        _fail(f"--format lines is the line view of a sampled profile: --mode {args.mode} records no lines", EXIT_USAGE)
    if args.mode in ("lines", "memory"):
        _writable(fmt, args.mode, f"--mode {args.mode}")
        if fmt in ("json", "pyro") and args.mode == "lines":
            _refuse(given, table, ("limit", "unit"), f"is for the report: --format {fmt} holds every function, in ns")
        if fmt in ("json", "pyro") and args.mode == "memory":
            _refuse(given, table, ("limit", "metric"), MEMORY_WHOLE.format(fmt=fmt))
    if args.memory or (args.mode == "sample" and args.event is not None):
        _combined_metric_checks(given, table, fmt)
    if not args.memory and args.mode == "sample" and fmt == "timeline":
        _fail(NO_TIMELINE.format(what="--mode sample"), EXIT_USAGE)
    _check_output(args.output, fmt)
    err = Channel()  # the real stderr, whatever the program does to its streams
    render = _render_kwargs(args, _color(args.color, err.isatty) and args.output is None, fmt, given)
    if args.mode == "lines" and "limit" not in given:
        render["limit"] = 0  # every function chosen
    if args.blocking:
        return _run_blocking(program, args, fmt, render, err)

    try:
        launch = prepare(program)
    except LaunchError as e:
        _fail(str(e), e.status)
    except SyntaxError as e:
        e.__traceback__ = None  # Python's own message: no frames of ours
        sys.excepthook(type(e), e, None)
        return 1

    watcher = _core.GCWatcher() if args.gc else None
    extras = (watcher,) if watcher is not None else ()
    if args.mode == "lines":
        return _run_lines(program, launch, args, fmt, render, err, watcher)
    if args.mode == "memory":
        return _run_memory(program, launch, args, sample_bytes, seed, fmt, render, err, watcher)
    tracker = (
        _memory_tracker(args.exact, sample_bytes, seed, args.max_bytes, args.native, "--memory")
        if args.memory
        else None
    )
    try:
        if args.mode == "sample":
            rate = _core.RATE_MEMORY if args.memory and "rate" not in given else args.rate
            tracer: Any = _core.Sampler(rate=rate, root=launch.code, event=args.event, period=args.period or 0)
        else:
            tracer = _core.Tracer(clock=args.clock, builtins=args.builtins, backend=args.backend, counters=counters)
    except ValueError as e:
        _fail(str(e), EXIT_USAGE)
    except _core.GILRequiredError as e:
        _fail(str(e), EXIT_NOGIL)
    except _core.EventError as e:  # the event, refused on the program's thread
        what = f"sample on {args.event}" if args.mode == "sample" else f"count {args.counters}"
        _fail(f"cannot {what}: {e.strerror}; {_events_here()}", EXIT_NOEVENT)
    except (PermissionError, _core.NotPythonError, _core.UnsupportedPythonError) as e:
        _fail(f"cannot sample this Python process: {e}", EXIT_NOTPY)
    command = _command_line(program)

    def finish() -> int:
        profile = tracer.take() if args.mode == "sample" else tracer.profile()
        if tracker is not None:  # run --memory: one profile with both, merged in C
            try:
                profile = profile.merge_memory(tracker.profile())
            except _core.ProfileError as e:  # out of memory: the samples alone
                err.say(f"cannot add the memory profile to the samples: {e}; the report has no memory")
            if args.max_bytes:
                profile.set_meta("mem_max_bytes", str(args.max_bytes))
        profile.set_meta("command", command)
        profile.set_meta("python", _python_name())
        profile.set_meta("pyrometer", __version__)
        if args.mode == "sample":
            profile.set_meta("clock", args.clock)
        flush_program_streams()  # the program's output first, then ours
        if args.mode == "trace" and tracer.hook_lost:
            err.say("the program installed its own profiler (sys.setprofile); calls after that are missing")
        if args.mode == "trace" and tracer.incomplete:
            err.say("out of memory while tracing; the profile is incomplete")
        if tracker is not None:
            _say_dropped(tracker, err, args.max_memory if args.max_bytes else "")
        if args.mode == "sample" and tracer.info["error"]:
            err.say(f"sampling stopped early: {_core.strerror(tracer.info['error'])}; the profile is incomplete")
        _export_gc(watcher, profile)
        return _deliver(profile, args.output, fmt, render, err)

    install(launch)
    if tracker is not None:
        tracker.set_root(launch.code)  # its stacks end where the sampler's do
    return Session(tracer, finish, (*extras, tracker) if tracker is not None else extras).run(launch)


def _events_here() -> str:
    """The events this machine can sample, in words, and why the others not."""
    events = _core.Sampler.events()
    can = [e["name"] for e in events if e["available"]]
    why: dict[str, list[str]] = {}
    for e in events:
        if not e["available"]:
            why.setdefault(str(e["reason"]), []).append(str(e["name"]))
    text = f"this machine can sample: {', '.join(can) if can else 'none'}"
    for reason, names in why.items():
        text += f"; not {', '.join(names)}: {reason}"
    return text


#: Counters a trace counts per call at most (the tracer's limit).
MAX_COUNTERS = 4


def _counter_names(text: str) -> list[str]:
    """--counters EVENT,...: known events, each once, that this machine can count."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    events = {e["name"]: e for e in _core.Sampler.events()}
    if not names or len(names) > MAX_COUNTERS:
        _fail(f"--counters takes 1 to {MAX_COUNTERS} event names, comma separated; {_events_here()}", EXIT_USAGE)
    for n in names:
        if n not in events:
            _fail(f"--counters: unknown event {n!r}; {_events_here()}", EXIT_USAGE)
        if names.count(n) > 1:
            _fail(f"--counters: {n} given twice", EXIT_USAGE)
        if not events[n]["available"]:
            _fail(f"cannot count {n}: {events[n]['reason']}; {_events_here()}", EXIT_NOEVENT)
    return names


def _event_checks(given: set[str], table: Sequence[Opt], args: Any) -> None:
    """--event and --period: a known event this machine can sample, before the program starts."""
    if args.event is None:
        _refuse(given, table, ("period",), "is for --event: the time samples come --rate times a second")
        if args.metric == "events":
            _fail("--metric events: the profile has no event (give --event)", EXIT_USAGE)
        return
    if args.blocking:
        _refuse(
            given, table, ("blocking",), "stops the threads for each read: --event reads them as the kernel wakes it"
        )
    if args.metric in METRICS and not args.memory:
        _fail(f"--metric {args.metric}: the profile has no memory (--metric events weighs by the event)", EXIT_USAGE)
    events = {e["name"]: e for e in _core.Sampler.events()}
    if args.event not in events:
        _fail(f"unknown event {args.event!r}; {_events_here()}", EXIT_USAGE)
    if not events[args.event]["available"]:
        _fail(f"cannot sample on {args.event}: {events[args.event]['reason']}; {_events_here()}", EXIT_NOEVENT)


#: Why --format timeline is refused for a sample profile without memory.
NO_TIMELINE = "{what} records no memory over time: --format timeline needs --memory (or --mode memory)"
#: The formats that weigh a profile of run --memory by --metric (the report ranks its lines by it).
COMBINED_METRIC_FORMATS = ("report", "svg", "collapsed", "speedscope")


def _combined_metric_checks(given: set[str], table: Sequence[Opt], fmt: str) -> None:
    """--metric with a sample profile that has memory (run --memory): only
    for the formats it changes."""
    if fmt not in COMBINED_METRIC_FORMATS:
        _refuse(
            given,
            table,
            ("metric",),
            f"changes the report, flame graphs, folded stacks and speedscope, not --format {fmt}",
        )


GC_BLOCKING = (
    "--gc is not for --blocking: the program then runs in a child process that pyrometer reads from outside, "
    "and watching its garbage collector needs code inside it"
)


def _export_gc(watcher: Any, profile: Any) -> None:
    """Add the collections `watcher` (None: --gc not given) recorded to `profile`."""
    if watcher is not None:
        watcher.export(profile)


def _command_line(program: Program) -> str:
    """The program's command line as the profile's metadata records it."""
    return " ".join(
        [
            (program.kind == "module" and "-m " + program.target)
            or (program.kind == "command" and "-c ...")
            or program.target,
            *program.args,
        ]
    )


NOTHING_CHOSEN = (
    "no function was chosen for line timing: decorate functions with @profile, or give "
    "--function FILE.py:QUALNAME or --module MODULE; for a line view of every function, sample instead: "
    "pyrometer run --mode sample -o run.pyro ...; pyrometer report run.pyro --format lines"
)


def _run_lines(
    program: Program, launch: Any, args: Any, fmt: str, render: dict[str, Any], err: Channel, watcher: Any = None
) -> int:
    """`run --mode lines`: --function and --module resolved from the source
    files before anything runs, then the program run under a LineTimer with
    ``profile`` in builtins, as under kernprof."""
    from . import _lines

    program_file = launch.module.__dict__.get("__file__") if program.kind != "command" else None
    try:
        choice = _lines.resolve(args.functions, args.modules, _lines.search_path(launch.path0), program_file)
    except _lines.ChoiceError as e:
        _fail(str(e), EXIT_NOFUNC)
    try:
        timer = _core.LineTimer()
    except _core.GILRequiredError as e:
        _fail(str(e), EXIT_NOGIL)
    timer.hide(_lines.Choice.matches)
    if choice:
        timer.set_matcher(choice.matches)
    command = _command_line(program)
    builtin = _lines.BuiltinProfile()

    def finish() -> int:
        builtin.remove()
        _lines.stop(timer, warn=False)  # stopped already: @profile no longer chooses into it
        for code in choice.unmatched():  # chosen, never called: listed with no hits
            try:
                timer.add_code(code)
            except (RuntimeError, ValueError):
                break
        profile = timer.profile()
        _export_gc(watcher, profile)
        profile.set_meta("command", command)
        profile.set_meta("python", _python_name())
        profile.set_meta("pyrometer", __version__)
        flush_program_streams()  # the program's output first, then ours
        if timer.hook_lost:
            err.say("the program installed its own tracer (sys.settrace); lines after that are missing")
        if timer.incomplete:
            err.say("out of memory while timing lines; the profile is incomplete")
        if not timer.chosen:
            err.say(NOTHING_CHOSEN)
            return EXIT_NOCHOICE
        return _deliver(profile, args.output, fmt, render, err)

    install(launch)
    _lines.register(timer)  # @profile chooses into it from now on
    builtin.install()
    return Session(timer, finish, (watcher,) if watcher is not None else ()).run(launch)


#: Why --limit and --metric are refused for a memory profile written whole.
MEMORY_WHOLE = (
    "is for the report, flame graphs, folded stacks and speedscope: --format {fmt} holds every stack and metric"
)

_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30}


def parse_size(text: str, option: str = "--sample-bytes") -> int:
    """The SIZE of --sample-bytes or --max-memory (`option`): a whole number
    of bytes, optionally with a binary unit (64K = 64KiB = 65536; 1M, 2MiB,
    1G; B). A bad size is a usage error, in one line."""
    t = text.strip()
    digits = len(t) - len(t.lstrip("0123456789"))
    number, unit = t[:digits], t[digits:].strip().lower()
    if not number or unit not in _SIZE_UNITS:
        _fail(
            f"{option}: not a size: {text!r} (give bytes, optionally with a unit: 4096, 64K, 1M, 2MiB)",
            EXIT_USAGE,
        )
    size = int(number) * _SIZE_UNITS[unit]
    if size < 1:
        hint = " (to record every allocation, use --exact)" if option == "--sample-bytes" else ""
        _fail(f"{option} must be at least 1 byte{hint}", EXIT_USAGE)
    if size >= 1 << 48:
        _fail(f"{option}: {text!r} is too large (at most 256 TiB)", EXIT_USAGE)
    return size


def _seed() -> int:
    """The sampling seed from PYROMETER_SEED (0, the default: from the clock)."""
    from .api import _seed_from_env

    try:
        return _seed_from_env()
    except ValueError as e:
        _fail(str(e), EXIT_USAGE)


def _memory_tracker(
    exact: bool, sample_bytes: int, seed: int, max_bytes: int = 0, native: bool = False, what: str = "--mode memory"
) -> Any:
    """A MemoryTracker for `run --mode memory` (or `run --memory`: `what`);
    every failure is one line and a status."""
    tracker_type = getattr(_core, "MemoryTracker", None)
    if tracker_type is None:
        _fail(f"{what} is not built into this pyrometer", EXIT_USAGE)
    gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if gil_enabled is not None and not gil_enabled():  # the tracker would refuse at start, with the program half-run
        _fail(
            f"{what} needs the GIL, and this free-threaded Python runs without it: "
            "run Python with PYTHON_GIL=1 (or -X gil=1)",
            EXIT_NOGIL,
        )
    kwargs: dict[str, Any] = {"exact": exact, "seed": seed, "max_bytes": max_bytes}
    if native:
        kwargs["native"] = True
    if sample_bytes:
        kwargs["sample_bytes"] = sample_bytes
    try:
        return tracker_type(**kwargs)
    except ValueError as e:
        _fail(str(e), EXIT_USAGE)
    except _core.GILRequiredError as e:
        _fail(str(e), EXIT_NOGIL)


def _run_memory(
    program: Program,
    launch: Any,
    args: Any,
    sample_bytes: int,
    seed: int,
    fmt: str,
    render: dict[str, Any],
    err: Channel,
    watcher: Any = None,
) -> int:
    """`run --mode memory`: the program run with Python's allocators hooked;
    the report (or -o's file) when it ends."""
    from . import _lines

    choice = _memory_choice(program, launch, args)
    max_memory = args.max_bytes  # --max-memory in bytes, 0: no cap
    tracker = _memory_tracker(args.exact, sample_bytes, seed, max_memory, args.native)
    command = _command_line(program)
    builtin = _lines.BuiltinProfile()

    def finish() -> int:
        builtin.remove()
        profile = tracker.profile()
        chosen = _lines.memory_choice(choice, _recorded_functions(profile) if choice else ())
        if chosen:
            profile.set_meta("mem_functions", chosen)
        if max_memory:
            profile.set_meta("mem_max_bytes", str(max_memory))
        _export_gc(watcher, profile)
        profile.set_meta("command", command)
        profile.set_meta("python", _python_name())
        profile.set_meta("pyrometer", __version__)
        flush_program_streams()  # the program's output first, then ours
        _say_dropped(tracker, err, args.max_memory if max_memory else "")
        return _deliver(profile, args.output, fmt, render, err)

    install(launch)
    builtin.install()  # @profile, as memory_profiler's users write it, chooses functions for the table
    return Session(tracker, finish, (watcher,) if watcher is not None else ()).run(launch)


def _memory_choice(program: Program, launch: Any, args: Any) -> Any:
    """--function and --module of `run --mode memory`, resolved from the
    source before anything runs (as in lines mode)."""
    from . import _lines

    program_file = launch.module.__dict__.get("__file__") if program.kind != "command" else None
    try:
        return _lines.resolve(args.functions, args.modules, _lines.search_path(launch.path0), program_file)
    except _lines.ChoiceError as e:
        _fail(str(e), EXIT_NOFUNC)


def _recorded_functions(profile: Any) -> list[tuple[str, int, str, str]]:
    """The Python functions of a memory profile: (file, first line, name, qualname)."""
    import json

    return [
        (f["file"], f["line"], f["name"], f["qualname"])
        for f in json.loads(profile.render("json"))["functions"]
        if f["kind"] == "python"
    ]


def _say_dropped(tracker: Any, err: Channel, cap: str = "") -> None:
    """Say on `err` if `tracker` dropped records: it reached --max-memory
    `cap`, or (no cap) the profiler ran out of memory."""
    dropped = tracker.totals().get("dropped", 0)
    if dropped:
        why = f"reached --max-memory {cap}" if cap else "ran out of memory"
        err.say(f"the profiler {why}: {dropped} records were dropped; the profile is incomplete")


def _python_name() -> str:
    """This Python's version as pyrometer names a target's: 3.15.0rc1, and
    3.14.7t for a free-threaded build (sys.abiflags holds its "t")."""
    return sys.version.split()[0] + ("t" if "t" in getattr(sys, "abiflags", "") else "")


def _run_blocking(program: Program, args: Any, fmt: str, render: dict[str, Any], err: Channel) -> int:
    """`run --blocking`: a process cannot stop its own threads, so the
    program runs as `python` would run it, in a child, sampled from here.
    Its exit status is returned (see the module's docstring); Ctrl-C reaches
    it (not us) as usual."""
    import signal

    flag = {"script": [], "module": ["-m"], "command": ["-c"]}[program.kind]
    child = _spawn([sys.executable, *flag, program.target, *program.args], quiet=False, stdin=True)
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal sends it to the child too
    command = " ".join([*flag, program.target, *program.args])
    try:
        sampler = _sampler_of_child(child, args.rate, blocking=True, poll=0.001, ended_ok=True)
        if sampler is not None:
            sampler.start()
            _wait_exited(child.pid)
            sampler.stop(warn=False)  # _sampled_profile says why sampling ended early
        status: int = child.wait()
    finally:
        signal.signal(signal.SIGINT, old)
    if sampler is not None:
        profile = _sampled_profile(sampler, command, args.clock, err)
    else:
        # The program ran and ended before its runtime could be found: its status is the
        # program's as always, and the profile says it holds no samples and why.
        profile = _core.Sampler(rate=args.rate).take()
        for key, value in (("pid", str(child.pid)), ("command", command), ("pyrometer", __version__)):
            profile.set_meta(key, value)
        profile.set_meta("clock", args.clock)
    profile.set_meta("python", _python_name())  # the child's too: sys.executable
    failure = _deliver(profile, args.output, fmt, render, err)
    if status < 0:
        return 128 - status  # killed by a signal: as a shell reports it
    return status if status != 0 else failure


def _sample_until(sampler: Any, deadline: float | None) -> None:
    """Wait while `sampler` samples, until `deadline` (time.monotonic(); None:
    no end) or the target exits. A function of its own: KeyboardInterrupt
    (Ctrl-C, or SIGTERM and SIGHUP under _StopOnSignals) raised at a loop's
    jump back can be outside the enclosing try's handlers (missing from the
    exception table: attach's loop on 3.12 and 3.13, top's on 3.14); from a
    call, it is always inside them."""
    import time

    while not sampler.finished:
        left = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
        if left <= 0:
            break
        time.sleep(left)


def _wait_exited(pid: int) -> None:
    """Wait until our child `pid` has exited, without collecting it. A wait
    for a child that this process traces (--blocking) would also collect
    the ptrace stops meant for the sampling thread, and leave the child
    stopped."""
    try:
        fd = os.pidfd_open(pid)  # readable once the process has exited
    except (AttributeError, OSError):
        fd = -1
    if fd >= 0:
        import select

        try:
            select.select([fd], [], [])
        finally:
            os.close(fd)
        return
    import time

    while True:  # no pidfd (Linux < 5.3): look without collecting anything
        r = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        if r is not None and r.si_code in (os.CLD_EXITED, os.CLD_KILLED, os.CLD_DUMPED):
            return
        time.sleep(0.01)


def _sampled_profile(sampler: Any, command: str, clock: str, err: Channel) -> Any:
    """The profile of a stopped sampler of another process, with its
    metadata; says so first if sampling ended in an error."""
    error = sampler.info["error"]
    if error:
        err.say(f"sampling stopped early: {_core.strerror(error)}")
    profile = sampler.take()
    profile.set_meta("command", command)
    profile.set_meta("pyrometer", __version__)
    profile.set_meta("clock", clock)
    return profile


# ==== report ====

FUNCTION = Opt(
    ("--function",),
    metavar="F",
    help="--format lines, and the report of a lines profile: only the functions F names; the report of a memory "
    "profile: the functions whose lines it tabulates (instead of those chosen when it was recorded); by qualified name "
    "(Class.method) or file:qualname (path/to/mod.py:func; the end of the path is enough)",
)
REPORT_OPTS = (
    Opt(("file",), help="a .pyro file, or a pstats .prof file"),
    FORMAT,
    CLOCK,
    UNIT,
    METRIC,
    OUTPUT,
    FUNCTION,
)
#: Options a lines profile's report has no use for, and why.
NOT_FOR_LINES = (
    ("sort", "callers", "threshold", "clock", "show_all"),
    "is for traces and samples: a lines profile's report has no use for it",
)


def cmd_report(argv: Sequence[str]) -> int:
    p = _parser(
        prog="pyrometer report",
        description="Re-render a saved profile as a report, table, tree, flame graph, speedscope, pstats, "
        "folded stacks or JSON, to standard output or to -o. A .pyro "
        "file holds everything; a pstats .prof file (from pyrometer, cProfile or profile) holds "
        "per-function numbers only, so it gives the table, pstats and JSON but no tree or folded stacks. "
        "--format lines shows the source of a sampled profile's hottest functions (--limit, default "
        f"{LINES_LIMIT}; --function to choose) with each line's share of wall and CPU time in the margin. "
        "A lines profile (pyrometer run --mode lines) gives line_profiler's report (every chosen function; "
        "--function, --limit, --unit), its JSON or a .pyro. A memory profile (pyrometer run --mode memory) "
        "gives its report, JSON, .pyro, and flame graphs, folded stacks or speedscope weighed by --metric.",
    )
    _add_options(p, REPORT_OPTS)
    table = REPORT_OPTS + RENDER_OPTS
    args, given = _parse(p, table, argv)
    fmt = _output_format(args.output, args.format)
    if args.output:
        _check_output(args.output, fmt)
    try:
        profile = _core.Profile.load(args.file)
    except OSError as e:
        _fail(f"cannot read {args.file!r}: {e.strerror}", EXIT_BADFILE)
    except _core.ProfileError as e:
        _fail(str(e), EXIT_BADFILE)
    mode = profile.meta.get("mode")
    combined = mode == "sample" and "alloc_bytes" in profile.columns  # run --memory
    evented = mode == "sample" and "events" in profile.columns  # run --event
    if mode != "memory" and not combined and not evented:
        _refuse(
            given,
            table,
            ("metric",),
            "is for memory profiles (pyrometer run --mode memory, or run --memory) and run --event's",
        )
    if mode == "memory" and args.metric in ("cpu", EVENT_METRIC):
        lacks = "time" if args.metric == "cpu" else "event"
        _fail(f"--metric {args.metric}: a memory profile has no {lacks} (use peak, allocated or leaked)", EXIT_USAGE)
    if mode == "sample" and args.metric in METRICS and not combined:
        _fail(f"--metric {args.metric}: {args.file} has no memory (pyrometer run --memory records it)", EXIT_USAGE)
    if mode == "sample" and args.metric == EVENT_METRIC and not evented:
        _fail(f"--metric events: {args.file} has no event (pyrometer run --event records one)", EXIT_USAGE)
    if combined or evented:
        _combined_metric_checks(given, table, fmt)
    if mode == "sample" and not combined and fmt == "timeline":
        _fail(NO_TIMELINE.format(what=f"{args.file} (a sample profile)"), EXIT_USAGE)
    if mode == "lines":
        _lines_report_checks(args, given, table, fmt)
    elif mode == "memory":
        _writable(fmt, "memory", args.file)
        dests = NOT_IN_MODE["memory"][-1][0]
        _refuse(given, table, ("unit", "clock", "show_all", *dests), "has no use in a memory profile's report")
        if fmt in ("json", "pyro"):
            _refuse(given, table, ("limit", "metric"), MEMORY_WHOLE.format(fmt=fmt))
        if fmt != "report":
            _refuse(given, table, ("function",), "is for the report of a memory profile: its per-line tables")
    else:
        if fmt != "lines":
            _refuse(given, table, ("function",), "is for --format lines")
        _refuse(given, table, ("unit",), "is for the report of a lines profile (pyrometer run --mode lines)")
    if mode not in ("sample", "lines"):
        what = "a trace" if mode == "trace" else "this"
        _refuse(given, table, ("clock", "show_all"), f"is for sample profiles; {what} profile has no use for it")
    if fmt == "lines" and mode not in ("sample", "lines"):
        what = "a trace" if mode == "trace" else "a pstats"
        _fail(
            f"{args.file}: --format lines needs a sampled profile (pyrometer run or attach, --mode sample): "
            f"{what} profile has no lines",
            EXIT_NOLINES,
        )
    render = _render_kwargs(args, _color(args.color, sys.stdout.isatty) and not args.output, fmt, given)
    if args.function:
        render["function"] = args.function
    if mode == "lines" and "limit" not in given:
        render["limit"] = 0  # every function the user chose
    if args.output:
        try:
            profile.write(args.output, fmt, **render)
        except OSError as e:
            _fail(f"cannot write {args.output!r}: {e.strerror}", EXIT_OUTPUT)
        except _core.ProfileError as e:
            _no_function(profile, args)
            _fail(f"{args.file}: cannot make a {fmt}: {e}; record with -o FILE.pyro to keep the tree", EXIT_USAGE)
        print(f"pyrometer: wrote {args.output}", file=sys.stderr)
        return 0
    try:
        data = profile.render(fmt, **render)
    except _core.ProfileError as e:
        _no_function(profile, args)
        _fail(f"{args.file}: cannot make a {fmt}: {e}; record with -o FILE.pyro to keep the tree", EXIT_USAGE)
    if isinstance(data, bytes):
        if sys.stdout.isatty():
            _fail(f"{fmt} is a binary format; use -o FILE or redirect the output", EXIT_USAGE)
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data)
    return 0


def _writable(fmt: str, mode: str, what: str) -> None:
    """Refuse (one line, a usage error) a format that cannot write a profile
    of `mode`, naming the formats that can; `what` starts the message."""
    can = _core.MODE_FORMATS.get(mode, ())
    if fmt not in can:
        choices = ", ".join(can[:-1]) + " or " + can[-1] if len(can) > 1 else "".join(can)
        _fail(f"{what}: a {mode} profile cannot be written as {fmt}; use --format {choices}", EXIT_USAGE)


def _lines_report_checks(args: Any, given: set[str], table: Sequence[Opt], fmt: str) -> None:
    """`report` of a lines profile: the formats and options it has a use for."""
    _writable(fmt, "lines", args.file)
    dests, why = NOT_FOR_LINES
    _refuse(given, table, dests, why)
    if fmt in ("json", "pyro"):
        _refuse(
            given,
            table,
            ("function", "limit", "unit"),
            f"is for the report: --format {fmt} holds every function, in nanoseconds",
        )


def _no_function(profile: Any, args: Any) -> None:
    """--function named no sampled (or timed) function (the line view refused
    it): one line with the names closest to it, and EXIT_NOMATCH."""
    if not args.function:
        return
    import difflib

    mode = profile.meta.get("mode")
    if mode in ("lines", "memory"):  # the functions, from the profile's JSON
        import json

        funcs = [
            (f["name"], f["qualname"], f["file"], 0, 0, 0)
            for f in json.loads(profile.render("json"))["functions"]
            if f.get("kind", "python") == "python"  # a lines profile lists Python functions only
        ]
    else:
        funcs = profile.functions()
    names = sorted({q for _, q, _, _, _, _ in funcs})
    if ":" in args.function:  # file:qualname: offer the same form, the file's path shortened like the reports
        cwd = os.getcwd() + os.sep
        names = sorted({f"{f[len(cwd) :] if f.startswith(cwd) else f}:{q}" for _, q, f, _, _, _ in funcs})
    close = difflib.get_close_matches(args.function, names, n=5, cutoff=0.5)
    listing = "--format json" if mode in ("lines", "memory") else "--format table"
    hint = f"; close matches: {', '.join(close)}" if close else f"; it has {len(names)} (see {listing})"
    kind = {"lines": "timed", "memory": "recorded"}.get(mode or "", "sampled")
    _fail(f"{args.file}: no {kind} function matches {args.function!r}{hint}", EXIT_NOMATCH)


# ==== reading another process ====


def _tracer_of(pid: int) -> int:
    """The process tracing `pid` (a debugger), 0 if none or unknown."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _read_process(pid: int, what: Callable[[int], T], blocking: bool = False) -> T:
    """Call `what(pid)` and turn every failure into one line and a status."""
    try:
        return what(pid)
    except ProcessLookupError:
        _fail(f"no process with id {pid}", EXIT_NOPROC)
    except PermissionError:
        tracer = _tracer_of(pid) if blocking else 0
        if tracer:
            _fail(
                f"cannot stop process {pid}: it is being traced by process {tracer} "
                f"({_command_of(tracer)}), and a process has one tracer at a time: detach that "
                "debugger, or sample without --blocking",
                EXIT_PERM,
            )
        from ._access import why_denied

        _fail(f"not permitted to read process {pid}: {why_denied(pid)}", EXIT_PERM)
    except (_core.NotPythonError, _core.UnsupportedPythonError) as e:
        _fail(str(e), EXIT_NOTPY)


def _pid(text: str) -> int:
    try:
        pid = int(text)
    except ValueError:
        pid = 0
    if pid <= 0:
        _fail(f"not a process id: {text!r}", EXIT_USAGE)
    return pid


def _command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return " ".join(a.decode(errors="replace") for a in f.read().split(b"\0") if a)
    except OSError:
        return f"process {pid}"


def _sampler_for(pid: int, rate: float, blocking: bool, event: str | None = None, period: int = 0) -> _core.Sampler:
    """A Sampler of process `pid` (sampling on `event` too, if given); every
    failure is one line and a status."""

    def sampler(pid: int) -> _core.Sampler:
        try:
            return _core.Sampler(pid, rate=rate, blocking=blocking, event=event, period=period)
        except _core.EventError as e:
            _fail(f"cannot sample process {pid} on {event}: {e.strerror}; {_events_here()}", EXIT_NOEVENT)

    return _read_process(pid, sampler, blocking)


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, delivered where Ctrl-C would be."""


class _StopOnSignals:
    """While recording, SIGTERM and SIGHUP end `attach` and `top` as Ctrl-C
    does (the profile gathered so far is written); the previous handlers
    come back afterwards, so that a second signal during the write acts as
    usual."""

    def __enter__(self) -> None:
        import signal

        def stop(signum: int, frame: object) -> None:
            raise _Stopped

        self.saved = [(s, signal.signal(s, stop)) for s in (signal.SIGTERM, signal.SIGHUP)]

    def __exit__(self, *exc: object) -> None:
        import signal

        for s, handler in self.saved:
            signal.signal(s, handler)


def _refuse_gc(argv: Sequence[str], command: str) -> None:
    """--gc given to a command that reads another process: one line, a usage error."""
    if "--gc" in argv:
        _fail(
            f"--gc is for pyrometer run: {command} reads another process from outside, and watching its "
            "garbage collector needs code inside it",
            EXIT_USAGE,
        )


# ==== dump ====

DUMP_OPTS = (
    PID,
    Opt(("--json",), "true", help="JSON instead of text (schema in docs/cli.md)"),
    COLOR,
    BLOCKING,
)


def cmd_dump(argv: Sequence[str]) -> int:
    p = _parser(
        prog="pyrometer dump",
        description="Print every thread's Python stack in a running process, read from its memory "
        "without stopping it (unless --blocking): OS thread id, running or idle, which thread holds the GIL.",
    )
    _add_options(p, DUMP_OPTS, render=False)
    args, _ = _parse(p, DUMP_OPTS, argv)
    pid = _pid(args.pid)
    color = _color(args.color, sys.stdout.isatty) and not args.json
    sys.stdout.write(
        str(
            _read_process(
                pid, lambda pid: _core.dump(pid, json=args.json, color=color, blocking=args.blocking), args.blocking
            )
        )
    )
    return 0


# ==== attach ====

ATTACH_OPTS = (PID, DURATION, RATE, CLOCK, OUTPUT, FORMAT, BLOCKING, EVENT, PERIOD, METRIC)


def cmd_attach(argv: Sequence[str]) -> int:
    p = _parser(
        prog="pyrometer attach",
        description="Sample a running CPython 3.9-3.15 (or 3.13t-3.15t) process from outside, without stopping it "
        "(unless --blocking), until --duration ends, Ctrl-C, SIGTERM or SIGHUP, or the process exits; "
        "then write (-o) or print the profile.",
    )
    _add_options(p, ATTACH_OPTS)
    _refuse_gc(argv, "attach")
    args, given = _parse(p, ATTACH_OPTS + RENDER_OPTS, argv)
    pid = _pid(args.pid)
    fmt = _output_format(args.output, args.format)
    args.memory = False
    _event_checks(given, ATTACH_OPTS + RENDER_OPTS, args)
    if args.event is None:
        _refuse(given, ATTACH_OPTS + RENDER_OPTS, ("metric",), "is for --event: weighs flame graphs by its counts")
    else:
        _combined_metric_checks(given, ATTACH_OPTS + RENDER_OPTS, fmt)
    _check_output(args.output, fmt)
    render = _render_kwargs(args, _color(args.color, sys.stdout.isatty) and not args.output, fmt, given)
    sampler = _sampler_for(pid, args.rate, args.blocking, args.event, args.period or 0)
    command = _command_of(pid)
    err = Channel()
    import time

    with _StopOnSignals():
        try:
            err.say(
                f"sampling process {pid} ({command}) at {args.rate:g} Hz"
                + (f" and on {args.event}" if args.event else "")
                + (", stopping it for each sample; " if args.blocking else "; ")
                + (f"{args.duration:g} s" if args.duration else "Ctrl-C to stop")
            )
            sampler.start()
            _sample_until(sampler, time.monotonic() + args.duration if args.duration else None)
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP
            pass
        sampler.stop(warn=False)  # _sampled_profile says why sampling ended early
    if sampler.info["ended"]:
        err.say(f"process {pid} exited; writing what was recorded")
    profile = _sampled_profile(sampler, command, args.clock, err)
    if args.output:
        return _deliver(profile, args.output, fmt, render, err)
    sys.stdout.write(str(profile.render(fmt, **render)))
    return 0


# ==== top ====


def _end_with_parent(parent: int) -> Callable[[], None]:
    """A function for the child between fork and exec: the kernel sends it
    SIGTERM when we die, even by SIGKILL (Linux's PR_SET_PDEATHSIG), so a
    command started by `top` or `run --blocking` never outlives pyrometer.
    Elsewhere, or if prctl fails, nothing is changed."""
    import signal

    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return lambda: None
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def arm() -> None:
        prctl(pr_set_pdeathsig, sigterm, 0, 0, 0)
        if os.getppid() != parent:  # we died before it was armed
            os._exit(1)

    return arm


def _spawn(command: list[str], quiet: bool, stdin: bool = False) -> Any:
    """Start `command`; its output goes to /dev/null if `quiet`, its input
    comes from ours if `stdin`, else from /dev/null. It ends when we do."""
    import subprocess

    try:
        out = subprocess.DEVNULL if quiet else None
        return subprocess.Popen(
            command,
            stdin=None if stdin else subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            # no thread of ours runs yet when a command is started (top, run --blocking)
            preexec_fn=_end_with_parent(os.getpid()),  # noqa: PLW1509
        )
    except OSError as e:
        _fail(f"cannot run {command[0]!r}: {e.strerror}", EXIT_USAGE)


def _sampler_of_child(child: Any, rate: float, blocking: bool, poll: float = 0.02, ended_ok: bool = False) -> Any:
    """A sampler of a program we just started, once its runtime is up
    (looked for every `poll` seconds). A program that exits first is an
    error, or with `ended_ok` gives None."""
    import time

    deadline = time.monotonic() + 10
    while True:
        try:
            return _core.Sampler(child.pid, rate=rate, blocking=blocking)
        except (_core.NotPythonError, ProcessLookupError, FileNotFoundError):
            # not exec'd yet, or the runtime not yet initialized
            if child.poll() is not None:
                if ended_ok:
                    return None
                _fail(f"the program exited (status {child.returncode}) before it could be sampled", EXIT_NOPROC)
            if time.monotonic() > deadline:
                child.kill()
                _fail(f"process {child.pid} is not running CPython", EXIT_NOTPY)
            time.sleep(poll)
        except (_core.UnsupportedPythonError, PermissionError) as e:
            child.kill()
            _fail(str(e), EXIT_NOTPY if not isinstance(e, PermissionError) else EXIT_PERM)


def cmd_top(argv: Sequence[str]) -> int:
    from . import top

    argv = list(argv)
    command: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, command = argv[:at], argv[at + 1 :]
    opts = (
        Opt(("pid",), optional=True, help="the process id (or give a command after --)"),
        RATE,
        Opt(
            ("--interval",),
            "float",
            1.0,
            metavar="S",
            low=0,
            low_open=True,
            unit="seconds",
            help="seconds between refreshes (default: 1)",
        ),
        DURATION,
        CLOCK,
        Opt(("--sort",), choices=top.SORTS, default="own", help="the column to sort by (default: own)"),
        BLOCKING,
    )
    p = _parser(
        prog="pyrometer top",
        usage="pyrometer top [options] (PID | -- python program.py [args ...])",
        description="A live view of a running Python program, refreshed every second: each "
        "function's own and total share of the samples (the last refresh) and time (since the "
        "start), like `top`, for the clock and the threads shown. Keys: 1-4 sort by %Own, %Total, "
        "OwnTime, TotalTime; t cycles through the threads; c switches wall/CPU time; q quits. "
        "Ctrl-C, SIGTERM and SIGHUP quit too. Not on a terminal, it prints one block per refresh.",
    )
    _add_options(p, opts, render=False)
    _refuse_gc(argv, "top")
    args, _ = _parse(p, opts, argv)
    if (args.pid is None) == (not command):
        _fail("give either a PID or a command after --", EXIT_USAGE)
    child = None
    if command:
        child = _spawn(command, quiet=sys.stdout.isatty())
        sampler = _sampler_of_child(child, args.rate, args.blocking)
        label = " ".join(command)
    else:
        pid = _pid(args.pid)
        sampler = _sampler_for(pid, args.rate, args.blocking)
        label = _command_of(pid)
    try:
        with _StopOnSignals():
            top.run(sampler, label, sys.stdout, args.interval, args.duration, args.clock, args.sort)
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except Exception:
                child.kill()
    return 0


# ==== stat: what /usr/bin/time -v and perf stat tell, in one table ====

STAT_HELP = """\
What `/usr/bin/time -v` and `perf stat` tell about a command, in one table on
stderr: wall clock, user and system CPU, CPU %, max RSS, minor and major page
faults, voluntary and involuntary context switches, file system inputs and
outputs, the exit status, and perf events -- software ones (task-clock,
page-faults, minor-faults, major-faults, context-switches, cpu-migrations)
and hardware ones (cycles, instructions, IPC, cache-references,
cache-misses, branches, branch-misses) where the machine has a PMU; where
it has none, one line says so and why. Counters count the command and the
children it waits for. The command's stdin, stdout and stderr are left as
they are; SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to pyrometer are passed
on to it, and the figures of the runs that ended are still printed.

exit status: the command's own (128 + N when signal N ended it); with -r N
the first run's that was not 0 (every run is measured; each run's status is
shown); 127 the command was not found, 126 it cannot be executed (one line
says why, like a shell); 2 usage error; 3 -o FILE cannot be written (refused
before the command runs; after a command that succeeded, 3 when the file
could not be written). The JSON schema is in docs/stat.md."""


def _split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """stat's own options, and the command: after `--`, or from the first
    word that is neither an option nor an option's value."""
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-r", "--repeat", "-o", "--output"):
            i += 2
        elif a.startswith("-") and a != "-":
            i += 1
        else:
            return argv[:i], argv[i:]
    return argv, []


def cmd_stat(argv: Sequence[str]) -> int:
    own, command = _split_command(list(argv))
    opts = (
        Opt(
            ("-r", "--repeat"),
            "int",
            1,
            metavar="N",
            low=1,
            high=_core.STAT_RUNS_MAX,
            unit="runs",
            help="run the command N times: mean, +- std dev, min and max per figure (default: 1)",
        ),
        Opt(("-o", "--output"), metavar="FILE", help="also write the figures as JSON to FILE (docs/stat.md)"),
        Opt(("--json",), "true", help="print the JSON on stdout instead of the table on stderr"),
    )
    p = _parser(
        prog="pyrometer stat",
        usage="pyrometer stat [-r N] [-o FILE] [--json] [--] command [args ...]",
        description=STAT_HELP,
    )
    import argparse

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    _add_options(p, opts, render=False)
    args, _ = _parse(p, opts, own)
    if not command:
        _fail("nothing to run: give a command (pyrometer stat -- command [args])", EXIT_USAGE)
    if args.output is not None:
        _check_output(args.output, "json")
    flush_program_streams()
    status, table, doc, error = _core.stat(command, args.repeat)
    if error is not None:
        print(f"pyrometer stat: {error}", file=sys.stderr)
        return status
    if args.json:
        sys.stdout.write(doc)
        sys.stdout.flush()
    else:
        sys.stderr.write(table)
        sys.stderr.flush()
    if args.output is not None:
        # atomically: a file of that name is replaced whole or left as it was
        tmp = f"{args.output}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(doc)
            os.replace(tmp, args.output)
        except OSError as e:
            print(f"pyrometer: cannot write {args.output!r}: {e.strerror}", file=sys.stderr)
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return status or EXIT_OUTPUT
    return status


# ==== bench ====


def cmd_bench(argv: Sequence[str]) -> int:
    """``pyrometer bench``: its own exit statuses (see pyrometer._bench)."""
    from . import _bench as bench

    try:
        return bench.main(argv)
    except KeyboardInterrupt:
        raise CliError("bench interrupted: nothing reported", 130) from None
    except bench.BenchError as e:
        if e.detail:
            sys.stderr.write(e.detail if e.detail.endswith("\n") else e.detail + "\n")
        raise CliError(str(e), e.status) from None


# ==== entry point ====

COMMANDS = {
    "run": (cmd_run, "run a program under the profiler"),
    "report": (cmd_report, "re-render a saved profile"),
    "attach": (cmd_attach, "sample a running Python process"),
    "top": (cmd_top, "live view of a running Python process"),
    "dump": (cmd_dump, "print every thread's stack in a running Python process"),
    "stat": (cmd_stat, "run a command and show its resources and perf counters (time -v, perf stat)"),
    "bench": (cmd_bench, "repeatable timing with statistics, A/B comparison with a verdict"),
}

MAIN_HELP = f"""usage: pyrometer <command> [options]

pyrometer {__version__}: a Python profiler with a C engine.

commands:
{chr(10).join(f"  {name:<10}{desc}" for name, (_, desc) in COMMANDS.items())}

`pyrometer <command> --help` describes each command.
examples:
  pyrometer run examples/julia.py 300
  pyrometer run -o flame.svg --rate 5000 examples/fib.py 28
  pyrometer run --mode trace -o out.prof -m mypackage.tool --flag
  pyrometer run --mode lines --function mymodule.py:Parser.feed script.py
  pyrometer run --mode memory -o mem.pyro script.py
  pyrometer run --memory script.py
  pyrometer run --mode memory --gc script.py
  pyrometer report mem.pyro --metric leaked -o leaks.svg
  pyrometer report out.pyro --format tree
  pyrometer report out.pyro --format lines --function mymodule.py:hot
  pyrometer attach 12345 --duration 10 -o live.svg
  pyrometer dump 12345
  pyrometer stat -r 5 -- python script.py
  pyrometer bench --compare "sum(range(10000))" "sum(range(1000))"

exit statuses: pyrometer's own failures, before the program starts (and of
report, attach, top, dump): 2 usage, 3 cannot write the output, 4 bad profile
file, 5 no such process, 6 not permitted, 7 not a CPython pyrometer can read,
8 trace, lines or memory mode (or --memory) on a free-threaded Python without the GIL (set PYTHON_GIL=1),
9 report --function matches no function, 10 --format lines of a profile
without lines (a trace), 11 run --mode lines or memory: --function or --module names
nothing that exists, 12 run --mode lines chose no function (after a program
that succeeded), 14 run --event, attach --event or run --counters: this machine
cannot sample or count that event (the message lists the ones it can).
Once the program has started, its own status passes through; if it succeeded
(0) but its profile could not be written, the status is 3.
stat: the command's status (127 not found, 126 not executable, like a shell).
bench has its own (see pyrometer bench --help): 1 the timed code failed, 13
--min-speedup not shown.
"""


def _quiet_stdout() -> None:
    """The reader of our stdout went away (`pyrometer ... | head`): send
    what is left to /dev/null, so that the exit does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(MAIN_HELP)
        return 0 if argv else EXIT_USAGE
    if argv[0] == "--version":
        print(f"pyrometer {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"pyrometer: unknown command {name!r} (commands: {', '.join(COMMANDS)})", file=sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[name][0](rest)
    except CliError as e:
        print(f"pyrometer: {e}", file=sys.stderr)
        return e.status
    except BrokenPipeError:  # pyrometer's own output (the program's is the program's)
        _quiet_stdout()
        return 0


def console_main() -> None:
    """Entry point of the ``pyrometer`` console script."""
    exit_with(main())
