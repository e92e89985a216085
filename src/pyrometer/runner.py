"""Run a user's program exactly as ``python`` would, while a tracer records it.

The program sees the same ``sys.argv``, ``sys.path[0]``, ``__main__`` module,
standard streams, exit status and tracebacks as under plain ``python``; the
profile gathered so far is written on every way out (return, exception,
``sys.exit``, ``os._exit``, Ctrl-C, SIGTERM).
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
    from types import CodeType, FrameType, ModuleType
    from typing import Any, Callable, NoReturn

    from . import _core
else:
    # the module type, without importing `types` (0.2 ms; the program may not)
    ModuleType = type(sys)


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
        __cached__=None,
        __loader__=SourceFileLoader("__main__", filename),
    )
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
        __cached__=spec.cached,
        __loader__=spec.loader,
        __package__=spec.parent,
        __spec__=spec,
    )
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
    after the tracer stopped, with no argument; it writes the profile.
    """

    def __init__(self, tracer: _core.Tracer, finish: Callable[[], None]) -> None:
        self.tracer = tracer
        self.finish = finish
        self.pid = os.getpid()
        self.done = False
        self._real_exit = os._exit
        self._prev_term: Any = None  # the SIGTERM disposition we replaced, if we did

    # ==== exit paths that bypass Python's unwinding ====

    def _finish_once(self) -> None:
        if self.done or os.getpid() != self.pid:
            return
        self.done = True
        self.tracer.stop(warn=False)  # finish() reports an incomplete profile in its own words
        self.finish()

    def _os_exit(self, status: int) -> NoReturn:
        self._finish_once()
        self._real_exit(status)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self._finish_once()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    def _after_fork_child(self) -> None:
        # the child inherits the hooks: stop them, and never write our output
        if not self.done:
            self.done = True
            self.tracer.stop(warn=False)

    def run(self, launch: Launch) -> int:
        """Run the program; returns the exit status for an uncaught exception
        or 0. SystemExit propagates (after the profile is written)."""
        tracer = self.tracer
        for fn in (self._os_exit, self._on_sigterm, self._after_fork_child, _wait_for_threads):
            tracer.hide(getattr(fn, "__func__", fn))
        os._exit = self._os_exit
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_child)
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            try:
                self._prev_term = signal.signal(signal.SIGTERM, self._on_sigterm)
            except ValueError:  # not the main thread: signals cannot be handled here
                pass
        status = 0
        try:
            tracer.start()
            try:
                tracer.exec_code(launch.code, launch.module.__dict__)
            finally:
                tracer.pause_thread()
                _wait_for_threads()
        except SystemExit:
            raise
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
        return status

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
    sys.stdout.flush()
    sys.stderr.flush()
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)
