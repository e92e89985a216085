"""Run a user's program exactly as ``python`` would, while a tracer records it.

The program sees the same ``sys.argv``, ``sys.path[0]``, ``__main__`` module,
standard streams, exit status and tracebacks as under plain ``python``; the
profile gathered so far is written on every way out (return, exception,
``sys.exit``, ``os._exit``, Ctrl-C, SIGTERM). pyrometer's own messages and
report go to a private copy of the standard error taken before the program
starts (``Channel``), whatever the program then does to its streams.
"""

from __future__ import annotations

# The C module under `signal` (whose IntEnums import enum, functools and
# collections): this module runs inside the profiled program before it starts,
# and what it imports is start-up the program would not have had.
import _signal as signal
import builtins
import os
import sys

# importlib's loaders, as the interpreter itself holds them (importing
# importlib.machinery would bring importlib and warnings into the program).
from _frozen_importlib_external import SourceFileLoader

# `typing` is for the type checker only (mypy takes any `TYPE_CHECKING` as true).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import CodeType, FrameType, ModuleType
    from typing import Any, Callable, NoReturn
else:
    # the module type, without importing `types` (0.2 ms; the program may not)
    ModuleType = type(sys)

# Whether `python` gives __main__ a `__cached__`: until 3.14 (None for a
# script, the spec's for -m); from 3.15 the interpreter and runpy no longer
# set it, and a program that looks finds none.
SETS_CACHED = sys.version_info < (3, 15)


class LaunchError(Exception):
    """The program cannot be started; ``status`` is pyrometer's exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Program:
    """What to run: a script path, a module name (``-m``) or code (``-c``)."""

    __slots__ = ("args", "kind", "target")

    def __init__(self, kind: str, target: str, args: list[str] | None = None) -> None:
        self.kind = kind  # "script" | "module" | "command"
        self.target = target
        self.args: list[str] = list(args) if args else []

    def __repr__(self) -> str:
        return f"Program({self.kind!r}, {self.target!r}, {self.args!r})"


class Channel:
    """pyrometer's own standard error: a private duplicate of fd 2, taken
    before the program starts, so that the report and pyrometer's messages
    reach the real stderr even when the program closed or replaced
    ``sys.stdout``/``sys.stderr``, or redirected fd 2. The duplicate is not
    inherited by the program's children (PEP 446)."""

    __slots__ = ("encoding", "fd", "ident")

    def __init__(self) -> None:
        stream = sys.stderr if sys.stderr is not None else sys.__stderr__
        self.encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            self.fd = os.dup(2)
            st = os.fstat(self.fd)
            self.ident = (st.st_dev, st.st_ino)
        except OSError:  # no fd 2 at all
            self.fd, self.ident = -1, (0, 0)

    def _target(self) -> int:
        """Our duplicate, unless the program closed it (os.closerange) and
        the number now names one of its own files: then fd 2."""
        try:
            st = os.fstat(self.fd)
            if (st.st_dev, st.st_ino) == self.ident:
                return self.fd
        except OSError:
            pass
        return 2

    def isatty(self) -> bool:
        try:
            return os.isatty(self._target())
        except OSError:
            return False

    def write(self, text: str) -> bool:
        """Write all of `text`; False if it could not be written."""
        data = text.encode(self.encoding, "backslashreplace")
        fd = self._target()
        try:
            while data:
                data = data[os.write(fd, data) :]
        except OSError:
            return False
        return True

    def say(self, message: str) -> None:
        """One line of pyrometer's: ``pyrometer: message``."""
        self.write(f"pyrometer: {message}\n")

    def close(self) -> None:
        if self.fd >= 0 and self._target() == self.fd:
            os.close(self.fd)
        self.fd = -1


def flush_program_streams() -> None:
    """Flush what the program wrote to sys.stdout and sys.stderr, so that it
    comes before pyrometer's report; streams the program closed or replaced
    with something that cannot flush are left alone."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # closed (ValueError), a broken pipe, a stand-in without flush...
            pass


def exit_code(e: SystemExit) -> int:
    """The status the interpreter gives an uncaught SystemExit."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    return 1  # a message: printed, status 1


class Launch:
    """A compiled program and the ``__main__`` module it will run in."""

    __slots__ = ("argv", "code", "module", "path0")

    def __init__(self, code: CodeType, module: ModuleType, argv: list[str], path0: str) -> None:
        self.code, self.module, self.argv, self.path0 = code, module, argv, path0


def _compile(source: str | bytes, filename: str) -> CodeType:
    """Compile the program as ``python`` would: no ``__future__`` flags of
    ours (this module has ``annotations``), and without builtin compile()'s
    first-call cost (see ``_core.compile_program``)."""
    from . import _core  # loaded already: the tracer or sampler is in it

    raw = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
    nul = raw.find(b"\0")
    if nul >= 0:  # what 3.11+ say (3.9/3.10 each misread the rest differently)
        line = raw[raw.rfind(b"\n", 0, nul) + 1 : nul].decode("utf-8", "replace")
        raise SyntaxError("source code cannot contain null bytes", (filename, raw.count(b"\n", 0, nul) + 1, None, line))
    code: CodeType = _core.compile_program(source, filename)
    return code


def prepare(program: Program) -> Launch:
    """Compile the program and build its ``__main__`` without running anything.

    Raises LaunchError (status 2) when the script or module does not exist and
    lets SyntaxError propagate (the caller prints it as Python would).
    """
    main = ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    if program.kind == "command":
        code = _compile(program.target, "<string>")
        main.__dict__.update(__package__=None, __spec__=None, __loader__=None)
        return Launch(code, main, ["-c", *program.args], "")
    if program.kind == "module":
        return _prepare_module(program, main)
    path = program.target
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        raise LaunchError(f"can't open file {path!r}: [Errno {e.errno}] {e.strerror}", 2) from None
    filename = os.path.abspath(path)
    code = _compile(source, filename)
    main.__dict__.update(
        __file__=filename,
        __package__=None,
        __spec__=None,
        __loader__=SourceFileLoader("__main__", filename),
    )
    if SETS_CACHED:
        main.__dict__["__cached__"] = None
    return Launch(code, main, [path, *program.args], os.path.dirname(os.path.realpath(path)))


def _prepare_module(program: Program, main: ModuleType) -> Launch:
    import runpy

    try:
        # the same resolution as `python -m` (packages run their __main__)
        _, spec, code = runpy._get_module_details(program.target)  # type: ignore[attr-defined]
    except ImportError as e:
        raise LaunchError(str(e) or f"No module named {program.target}", 2) from None
    except SyntaxError:
        raise
    except Exception as e:  # runpy raises its own _Error for "is a package" etc.
        raise LaunchError(str(e), 2) from None
    main.__dict__.update(
        __file__=spec.origin,
        __loader__=spec.loader,
        __package__=spec.parent,
        __spec__=spec,
    )
    if SETS_CACHED:
        main.__dict__["__cached__"] = spec.cached
    return Launch(code, main, [spec.origin or program.target, *program.args], os.getcwd())


def install(launch: Launch) -> None:
    """Make the process look like ``python`` started the program."""
    sys.argv[:] = launch.argv
    if sys.path:
        sys.path[0] = launch.path0
    else:
        sys.path.insert(0, launch.path0)
    sys.modules["__main__"] = launch.module


def _wait_for_threads() -> None:
    """Join non-daemon threads, as the interpreter does at exit.

    Only threads started through `threading` are joined by the interpreter,
    and there are none if the program never imported it."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    main = threading.main_thread()
    while True:
        pending = [t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()]
        if not pending:
            return
        for t in pending:
            t.join()


class Session:
    """One run of a program under a tracer, with every exit path covered.

    ``finish`` is called exactly once, in the process that started the run,
    after the tracer stopped, with no argument; it writes the profile and
    returns 0, or pyrometer's exit status for a profile it could not write.
    The program's status passes through, except that a program that
    succeeded (status 0) ends with ``finish``'s failure status.

    ``extras`` are more recorders, each with start() and a stop() that is
    safe when it never started: they start in order before the tracer and
    stop after it, last first (the garbage collector's watcher, the memory
    tracker beside a sampler).
    """

    def __init__(self, tracer: Any, finish: Callable[[], int], extras: Sequence[Any] = ()) -> None:
        self.tracer = tracer
        self.extras = tuple(extras)  # more recorders (start(), stop()) around the tracer's run
        self.finish = finish
        self.failure = 0  # what finish() returned
        self.pid = os.getpid()
        self.done = False
        self._real_exit = os._exit
        self._prev_term: Any = None  # the SIGTERM disposition we replaced, if we did

    # ==== exit paths that bypass Python's unwinding ====

    def _finish_once(self) -> None:
        if self.done or os.getpid() != self.pid:
            return
        self.done = True
        self._stop()  # finish() reports an incomplete profile in its own words
        self.failure = self.finish()

    def status(self, program_status: int) -> int:
        """The exit status for a program that ended with `program_status`."""
        return program_status if program_status != 0 else self.failure

    def _os_exit(self, status: int) -> NoReturn:
        self._finish_once()
        self._real_exit(self.status(status))

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self._finish_once()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    def _after_fork_child(self) -> None:
        # the child inherits the hooks: stop them, and never write our output
        if not self.done:
            self.done = True
            self._stop()

    def _stop(self) -> None:
        """Stop the tracer without its warning (a MemoryTracker has none to
        give), then the extra recorders, last started first."""
        from . import _core

        for recorder in (self.tracer, *reversed(self.extras)):
            if isinstance(recorder, (_core.Tracer, _core.LineTimer, _core.Sampler)):
                recorder.stop(warn=False)
            else:
                recorder.stop()

    def run(self, launch: Launch) -> int:
        """Run the program; returns its exit status (1 for an uncaught
        exception, see ``status``). SystemExit propagates after the profile
        is written, as SystemExit(failure status) if the program's was 0 and
        the profile could not be written."""
        tracer = self.tracer
        hide = getattr(tracer, "hide", None)  # a MemoryTracker may have none: it shows no frames above the program
        for fn in (self._os_exit, self._on_sigterm, self._after_fork_child, _wait_for_threads):
            if hide is not None:
                hide(getattr(fn, "__func__", fn))
        os._exit = self._os_exit
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_child)
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            try:
                self._prev_term = signal.signal(signal.SIGTERM, self._on_sigterm)
            except ValueError:  # not the main thread: signals cannot be handled here
                pass
        status = 0
        exiting: SystemExit | None = None
        try:
            for recorder in self.extras:
                recorder.start()
            tracer.start()
            try:
                tracer.exec_code(launch.code, launch.module.__dict__)
            finally:
                if hasattr(tracer, "pause_thread"):
                    tracer.pause_thread()
                _wait_for_threads()
        except SystemExit as e:
            exiting = e
        except KeyboardInterrupt as e:
            self._print_exception(e)
            status = -int(signal.SIGINT)
        except BaseException as e:  # the program's own uncaught exception
            self._print_exception(e)
            status = 1
        finally:
            os._exit = self._real_exit
            if self._prev_term is not None and signal.getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, self._prev_term)
            self._finish_once()
        if exiting is not None:
            if self.failure and exit_code(exiting) == 0:
                raise SystemExit(self.failure)
            raise exiting
        return self.status(status)

    @staticmethod
    def _print_exception(e: BaseException) -> None:
        """Print like the interpreter does, without pyrometer's own frames."""
        tb = e.__traceback__
        here = __file__
        while tb is not None and tb.tb_frame.f_code.co_filename == here:
            tb = tb.tb_next
        e.__traceback__ = tb
        sys.excepthook(type(e), e, tb)


def exit_with(status: int) -> None:
    """Leave the process with ``status``; negative means "killed by signal"."""
    flush_program_streams()
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)
