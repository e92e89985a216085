"""The ``pyrometer`` command line: argument parsing and wiring, nothing else.

Exit statuses of pyrometer's own errors (the profiled program's status is
passed through unchanged):
  2  usage error: bad option, missing script or module
  3  the output file cannot be written (refused before the program starts)
  4  a profile file given to ``report`` is missing, corrupt or of another kind
  5  ``attach``/``top``/``dump``: no such process
  6  ``attach``/``top``/``dump``: not permitted to read the process
  7  ``attach``/``top``/``dump``: the process is not CPython, or a version
     pyrometer cannot read

"""

from __future__ import annotations

import os
import sys

from . import __version__, _core
from ._opts import Opt, add_to, quick_parse
from .runner import LaunchError, Program, Session, exit_with, install, prepare

# `typing` and `argparse` are not imported for `run`: its start-up is the
# profiler's overhead on a short program (see _opts). mypy takes any
# `TYPE_CHECKING` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any, Callable, NoReturn, TextIO, TypeVar

    T = TypeVar("T")

EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_BADFILE = 4
EXIT_NOPROC = 5
EXIT_PERM = 6
EXIT_NOTPY = 7

MODES = ("sample", "trace", "lines", "memory")
BINARY_FORMATS = ("pstats", "pyro")

AVAILABLE_MODES = ("sample", "trace")
FORMATS = tuple(_core.format_names())


class CliError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _fail(message: str, status: int) -> NoReturn:

    raise CliError(message, status)


# ==== shared options ====


RENDER_OPTS = (
    Opt(
        ("--sort",),
        default="cumtime",
        choices=("cumtime", "tottime", "ncalls", "name", "file"),
        help="table order (default: cumtime)",
    ),
    Opt(("--limit",), "int", 30, metavar="N", help="table rows, 0 = all (default: 30)"),
    Opt(
        ("--callers",), "int", 5, metavar="N", help="show callers and callees of the top N rows (default: 5, 0 = none)"
    ),
    Opt(("--threshold",), "float", 0.5, metavar="PCT", help="tree: hide calls under PCT%% of the total (default: 0.5)"),
    Opt(
        ("--show-all",),
        "true",
        help="sample tree: show library frames (the standard library, site-packages) instead of folding them",
    ),
    Opt(
        ("--color",),
        choices=("auto", "always", "never"),
        default="auto",
        help="color the terminal report (default: auto: when writing to a terminal and NO_COLOR is unset)",
    ),
)


def _add_render_options(p: argparse.ArgumentParser) -> None:
    add_to(p.add_argument_group("report options"), RENDER_OPTS)


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


def _color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _render_kwargs(args: Any, color: bool) -> dict[str, Any]:
    if args.limit < 0 or args.callers < 0:
        _fail("--limit and --callers must be 0 or more", EXIT_USAGE)
    if not 0 <= args.threshold <= 100:
        _fail("--threshold must be between 0 and 100", EXIT_USAGE)
    return dict(
        sort=args.sort,
        limit=args.limit,
        callers=args.callers,
        threshold=args.threshold / 100.0,
        color=color,
        strip=os.getcwd(),
        clock=getattr(args, "clock", None) or "wall",
        show_all=args.show_all,
    )


def _output_format(path: str | None, fmt: str | None) -> str:
    """The format for ``-o path`` / ``--format``; a bad choice is a usage error."""
    if fmt:
        if fmt not in FORMATS:
            _fail(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}", EXIT_USAGE)
        return str(fmt)
    if path is None:
        return "report"
    guessed = _core.format_from_path(path)
    if guessed is None:
        _fail(
            f"cannot tell the format of {path!r} from its extension; use one of "
            ".prof .pyro .json .collapsed .txt, or give --format",
            EXIT_USAGE,
        )
    return guessed


def _check_writable(path: str) -> None:
    """Refuse an output path we could not write, before anything runs.

    The directory is probed by creating (and removing) a temporary file in
    it, which catches permissions, ACLs and read-only file systems alike; an
    existing file is left untouched (the profile replaces it atomically)."""
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


# ==== run ====

OUTPUT_HELP = (
    "write the profile to FILE; the format comes from the extension: .svg (interactive "
    "flame graph), .speedscope.json, .prof (pstats), .pyro (native, re-render with "
    "`pyrometer report`), .json, .collapsed (folded stacks), .txt (the report)"
)

RUN_USAGE = "pyrometer run [options] (script.py | -m module | -c code) [args ...]"


RUN_OPTS = (
    Opt(
        ("--mode",),
        choices=MODES,
        default="sample",
        help="sample (default): every thread's stack --rate times a second, almost no overhead; "
        "trace: every call, exact counts like cProfile (lines and memory are planned)",
    ),
    Opt(
        ("--rate",), "float", 1000.0, metavar="HZ", help="sample mode: samples per second, 1 to 100000 (default: 1000)"
    ),
    Opt(
        ("--clock",),
        choices=("wall", "cpu"),
        default="wall",
        help="wall: elapsed time (default); cpu: only time on a CPU (sample mode records both; "
        "this picks the one reported)",
    ),
    Opt(
        ("--blocking",),
        "true",
        help="sample mode: run the program as a child process and stop its threads while each "
        "sample is read (ptrace), so that every stack is exact even in code that returns to the "
        "same state within microseconds; the program pauses for each sample (tens of "
        "microseconds). Default: read it from inside, without stopping it",
    ),
    Opt(
        ("--no-builtins",),
        "false",
        dest="builtins",
        help="trace Python functions only, not C functions (builtins, methods); faster",
    ),
    Opt(
        ("--backend",),
        choices=("auto", "legacy", "monitoring", "frame"),
        default="auto",
        help="interpreter hooks that feed the tracer: auto picks the fastest exact one for this "
        "Python; legacy = PyEval_SetProfile (3.9-3.11), monitoring = sys.monitoring (3.12+), "
        "frame = the PEP 523 frame hook (Python functions; with builtins only on 3.12+, beside "
        "sys.monitoring)",
    ),
    Opt(("-o", "--output"), metavar="FILE", help=OUTPUT_HELP),
    Opt(("--format",), choices=FORMATS, help="output format, overriding the extension"),
)


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
        "Without -o, a report is printed to stderr when it ends.",
    )
    add_to(p, RUN_OPTS)
    _add_render_options(p)
    return p


def cmd_run(argv: Sequence[str]) -> int:
    opts, program = _split_run_args(argv)
    args: Any = quick_parse(RUN_OPTS + RENDER_OPTS, opts) if program is not None else None
    if args is None:
        parser = _run_parser()
        args = parser.parse_args(opts)
    if program is None:
        parser.print_usage(sys.stderr)
        _fail("nothing to run: give a script, -m module or -c code", EXIT_USAGE)
    if args.mode not in AVAILABLE_MODES:
        _fail(f"--mode {args.mode} is not available in this version yet; use --mode sample or trace", EXIT_USAGE)
    _check_rate(args.rate)
    fmt = _output_format(args.output, args.format)
    if args.output:
        _check_writable(args.output)
    elif fmt in BINARY_FORMATS:
        _fail(f"--format {fmt} is binary: give -o FILE", EXIT_USAGE)
    color = _color(args.color, sys.stderr) and args.output is None
    render = _render_kwargs(args, color)
    if args.blocking:
        if args.mode != "sample":
            _fail("--blocking is for --mode sample", EXIT_USAGE)
        return _run_blocking(program, args, fmt, render)

    try:
        launch = prepare(program)
    except LaunchError as e:
        _fail(str(e), e.status)
    except SyntaxError as e:
        e.__traceback__ = None  # Python's own message: no frames of ours
        sys.excepthook(type(e), e, None)
        return 1

    try:
        if args.mode == "sample":
            tracer: Any = _core.Sampler(rate=args.rate, root=launch.code)
        else:
            tracer = _core.Tracer(clock=args.clock, builtins=args.builtins, backend=args.backend)
    except ValueError as e:
        _fail(str(e), EXIT_USAGE)
    except (PermissionError, _core.NotPythonError, _core.UnsupportedPythonError) as e:
        _fail(f"cannot sample this Python process: {e}", EXIT_NOTPY)
    command = " ".join(
        [
            (program.kind == "module" and "-m " + program.target)
            or (program.kind == "command" and "-c ...")
            or program.target,
            *program.args,
        ]
    )

    def finish() -> None:
        profile = tracer.take() if args.mode == "sample" else tracer.profile()
        profile.set_meta("command", command)
        profile.set_meta("python", sys.version.split()[0])
        profile.set_meta("pyrometer", __version__)
        if args.mode == "sample":
            profile.set_meta("clock", args.clock)
        if args.mode == "trace" and tracer.hook_lost:
            print(
                "pyrometer: the program installed its own profiler (sys.setprofile); calls after that are missing",
                file=sys.stderr,
            )
        if args.mode == "trace" and tracer.incomplete:
            print("pyrometer: out of memory while tracing; the profile is incomplete", file=sys.stderr)
        try:
            if args.output:
                profile.write(args.output, fmt, **render)
            else:
                sys.stdout.flush()  # the program's output first, then the report
                sys.stderr.write(str(profile.render(fmt, **render)))
                sys.stderr.flush()
        except OSError as e:
            print(f"pyrometer: cannot write {args.output!r}: {e.strerror}", file=sys.stderr)

    install(launch)
    status = Session(tracer, finish).run(launch)
    return status


def _run_blocking(program: Program, args: Any, fmt: str, render: dict[str, Any]) -> int:
    """`run --blocking`: a process cannot stop its own threads, so the
    program runs as `python` would run it, in a child, sampled from here.
    Its exit status is returned; Ctrl-C reaches it (not us) as usual."""
    import signal

    flag = {"script": [], "module": ["-m"], "command": ["-c"]}[program.kind]
    child = _spawn([sys.executable, *flag, program.target, *program.args], quiet=False)
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal sends it to the child too
    try:
        sampler = _sampler_of_child(child, args.rate, blocking=True, poll=0.001)
        sampler.start()
        _wait_exited(child.pid)
        sampler.stop(warn=False)  # _sampled_profile says why sampling ended early
        status: int = child.wait()
    finally:
        signal.signal(signal.SIGINT, old)
    profile = _sampled_profile(sampler, " ".join([*flag, program.target, *program.args]), args.clock)
    profile.set_meta("python", sys.version.split()[0])  # the child's too: sys.executable
    try:
        if args.output:
            profile.write(args.output, fmt, **render)
        else:
            sys.stderr.write(str(profile.render(fmt, **render)))
    except OSError as e:
        print(f"pyrometer: cannot write {args.output!r}: {e.strerror}", file=sys.stderr)
    return status if status >= 0 else 128 - status


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


def _sampled_profile(sampler: Any, command: str, clock: str) -> Any:
    """The profile of a stopped sampler of another process, with its
    metadata; says so first if sampling ended in an error."""
    error = sampler.info["error"]
    if error:
        why = {-11: "not permitted any more (a debugger attached?)", -1: "out of memory"}
        print(f"pyrometer: sampling stopped early: {why.get(error, f'core error {error}')}", file=sys.stderr)
    profile = sampler.take()
    profile.set_meta("command", command)
    profile.set_meta("pyrometer", __version__)
    profile.set_meta("clock", clock)
    return profile


# ==== report ====


def cmd_report(argv: Sequence[str]) -> int:
    p = _parser(
        prog="pyrometer report",
        description="Re-render a saved profile as a report, table, tree, flame graph, speedscope, pstats, "
        "folded stacks or JSON. A .pyro "
        "file holds everything; a pstats .prof file (from pyrometer, cProfile or profile) holds "
        "per-function numbers only, so it gives the table, pstats and JSON but no tree or folded stacks.",
    )
    p.add_argument("file", help="a .pyro file, or a pstats .prof file")

    p.add_argument("--format", choices=FORMATS, help="output format (default: report, or from -o's extension)")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="sample profiles: report wall time (default) or CPU time",
    )
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of standard output")
    _add_render_options(p)
    args = p.parse_args(argv)
    fmt = _output_format(args.output, args.format)
    if args.output:
        _check_writable(args.output)
    try:
        profile = _core.Profile.load(args.file)
    except OSError as e:
        _fail(f"cannot read {args.file!r}: {e.strerror}", EXIT_BADFILE)
    except _core.ProfileError as e:
        _fail(str(e), EXIT_BADFILE)
    render = _render_kwargs(args, _color(args.color, sys.stdout) and not args.output)
    if args.output:
        try:
            profile.write(args.output, fmt, **render)
        except OSError as e:
            _fail(f"cannot write {args.output!r}: {e.strerror}", EXIT_OUTPUT)
        except _core.ProfileError as e:
            _fail(f"{args.file}: cannot make a {fmt}: {e}; record with -o FILE.pyro to keep the tree", EXIT_USAGE)
        return 0
    try:
        data = profile.render(fmt, **render)
    except _core.ProfileError as e:
        _fail(f"{args.file}: cannot make a {fmt}: {e}; record with -o FILE.pyro to keep the tree", EXIT_USAGE)
    if isinstance(data, bytes):
        if sys.stdout.isatty():
            _fail(f"{fmt} is a binary format; use -o FILE or redirect the output", EXIT_USAGE)
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data)
    return 0


# ==== dump ====


def _permission_hint(pid: int) -> str:
    """What to change when a process's memory may not be read."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            scope = f.read().strip()
    except OSError:
        scope = ""
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        owner = -1
    hints = []
    if owner >= 0 and owner != os.geteuid():
        hints.append(
            f"the process belongs to uid {owner}, you are uid {os.geteuid()}: run pyrometer as "
            "the same user (or as root)"
        )
    if scope in ("1", "2", "3"):
        what = {"1": "only a parent may read its children", "2": "only root / CAP_SYS_PTRACE may", "3": "nobody may"}[
            scope
        ]
        hints.append(
            f"kernel.yama.ptrace_scope is {scope} ({what}): `sudo sysctl kernel.yama.ptrace_scope=0`"
            " or run with CAP_SYS_PTRACE"
        )
    hints.append("in a container, add the SYS_PTRACE capability (docker run --cap-add SYS_PTRACE)")
    return "; ".join(hints)


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


BLOCKING_HELP = (
    "stop the program's threads while each sample is read (ptrace), so that every stack "
    "is exact even in code that returns to the same state within microseconds; the "
    "program pauses for each sample (tens of microseconds), and a debugger cannot be "
    "attached meanwhile"
)


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
        _fail(f"not permitted to read process {pid}: {_permission_hint(pid)}", EXIT_PERM)
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


def cmd_dump(argv: Sequence[str]) -> int:
    p = _parser(
        prog="pyrometer dump",
        description="Print every thread's Python stack in a running process, read from its memory "
        "without stopping it (unless --blocking): OS thread id, running or idle, which thread holds the GIL.",
    )
    p.add_argument("pid", help="the process id of a CPython 3.9-3.13 program")
    p.add_argument("--json", action="store_true", help="JSON instead of text (schema in docs/cli.md)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument(
        "--blocking",
        action="store_true",
        help="stop the program's threads while their stacks are read (ptrace): one consistent snapshot of every thread",
    )
    args = p.parse_args(argv)
    pid = _pid(args.pid)
    color = _color(args.color, sys.stdout) and not args.json
    sys.stdout.write(
        str(
            _read_process(
                pid, lambda pid: _core.dump(pid, json=args.json, color=color, blocking=args.blocking), args.blocking
            )
        )
    )
    return 0


# ==== attach ====


def _check_rate(rate: float) -> None:
    if not 1 <= rate <= 100000:
        _fail("--rate must be between 1 and 100000 samples per second", EXIT_USAGE)


def _sampler_for(pid: int, rate: float, blocking: bool) -> _core.Sampler:
    """A Sampler of process `pid`; every failure is one line and a status."""
    _check_rate(rate)
    return _read_process(pid, lambda pid: _core.Sampler(pid, rate=rate, blocking=blocking), blocking)


def _command_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return " ".join(a.decode(errors="replace") for a in f.read().split(b"\0") if a)
    except OSError:
        return f"process {pid}"


def cmd_attach(argv: Sequence[str]) -> int:
    p = _parser(
        prog="pyrometer attach",
        description="Sample a running CPython 3.9-3.13 process from outside, without stopping it "
        "(unless --blocking), until --duration ends, Ctrl-C, or the process exits; then write or print the profile.",
    )
    p.add_argument("pid", help="the process id")
    p.add_argument(
        "--duration", type=float, metavar="S", help="seconds to record (default: until Ctrl-C or the process exits)"
    )
    p.add_argument("--rate", type=float, default=1000.0, metavar="HZ", help="samples per second (default: 1000)")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="report wall time (default) or CPU time; both are recorded",
    )
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    p.add_argument("--format", choices=FORMATS, help="output format, overriding the extension")
    p.add_argument("--blocking", action="store_true", help=BLOCKING_HELP)
    _add_render_options(p)
    args = p.parse_args(argv)
    pid = _pid(args.pid)
    if args.duration is not None and args.duration <= 0:
        _fail("--duration must be more than 0 seconds", EXIT_USAGE)
    fmt = _output_format(args.output, args.format)
    if args.output:
        _check_writable(args.output)
    elif fmt in BINARY_FORMATS:
        _fail(f"--format {fmt} is binary: give -o FILE", EXIT_USAGE)
    render = _render_kwargs(args, _color(args.color, sys.stderr) and not args.output)
    sampler = _sampler_for(pid, args.rate, args.blocking)
    command = _command_of(pid)
    print(
        f"pyrometer: sampling process {pid} ({command}) at {args.rate:g} Hz"
        + (", stopping it for each sample; " if args.blocking else "; ")
        + (f"{args.duration:g} s" if args.duration else "Ctrl-C to stop"),
        file=sys.stderr,
    )
    import time

    deadline = time.monotonic() + args.duration if args.duration else None
    sampler.start()
    try:
        while not sampler.finished:
            left = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if left <= 0:
                break
            time.sleep(left)
    except KeyboardInterrupt:
        pass
    sampler.stop(warn=False)  # _sampled_profile says why sampling ended early
    if sampler.info["ended"]:
        print(f"pyrometer: process {pid} exited; writing what was recorded", file=sys.stderr)
    profile = _sampled_profile(sampler, command, args.clock)
    try:
        if args.output:
            profile.write(args.output, fmt, **render)
            print(f"pyrometer: wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(str(profile.render(fmt, **render)))
    except OSError as e:
        _fail(f"cannot write {args.output!r}: {e.strerror}", EXIT_OUTPUT)
    return 0


# ==== top ====


def _spawn(command: list[str], quiet: bool) -> Any:
    import subprocess

    try:
        out = subprocess.DEVNULL if quiet else None
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    except OSError as e:
        _fail(f"cannot run {command[0]!r}: {e.strerror}", EXIT_USAGE)


def _sampler_of_child(child: Any, rate: float, blocking: bool, poll: float = 0.02) -> Any:
    """A sampler of a program we just started, once its runtime is up
    (looked for every `poll` seconds)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        try:
            return _core.Sampler(child.pid, rate=rate, blocking=blocking)
        except (_core.NotPythonError, ProcessLookupError, FileNotFoundError):
            # not exec'd yet, or the runtime not yet initialized
            if child.poll() is not None:
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
    p = _parser(
        prog="pyrometer top",
        usage="pyrometer top [options] (PID | -- python program.py [args ...])",
        description="A live view of a running Python program, refreshed every second: each "
        "function's own and total share of the samples (the last refresh) and time (since the "
        "start), like `top`. Keys: 1-4 sort by %%Own, %%Total, OwnTime, TotalTime; t cycles "
        "through the threads; c switches wall/CPU time; q quits. Not on a terminal, it prints "
        "one block per refresh.",
    )
    p.add_argument("pid", nargs="?", help="the process id (or give a command after --)")
    p.add_argument("--rate", type=float, default=1000.0, metavar="HZ", help="samples per second (default: 1000)")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between refreshes (default: 1)")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    p.add_argument("--sort", choices=top.SORTS, default="own")
    p.add_argument("--blocking", action="store_true", help=BLOCKING_HELP)
    args = p.parse_args(argv)
    if (args.pid is None) == (not command):
        _fail("give either a PID or a command after --", EXIT_USAGE)
    if args.interval <= 0 or (args.duration is not None and args.duration <= 0):
        _fail("--interval and --duration must be more than 0 seconds", EXIT_USAGE)
    _check_rate(args.rate)
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
        top.run(sampler, label, sys.stdout, args.interval, args.duration, args.clock, args.sort)
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except Exception:
                child.kill()
    return 0


# ==== entry point ====

COMMANDS = {
    "run": (cmd_run, "run a program under the profiler"),
    "report": (cmd_report, "re-render a saved profile"),
    "attach": (cmd_attach, "sample a running Python process"),
    "top": (cmd_top, "live view of a running Python process"),
    "dump": (cmd_dump, "print every thread's stack in a running Python process"),
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
  pyrometer report out.pyro --format tree
  pyrometer attach 12345 --duration 10 -o live.svg
  pyrometer dump 12345
"""


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


def console_main() -> None:
    """Entry point of the ``pyrometer`` console script."""
    exit_with(main())
