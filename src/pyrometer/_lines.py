"""Exact line timing, the Python side: which code a ``_core.LineTimer`` times.

* ``profile``: kernprof's decorator. It returns what it is given, unchanged;
  it marks the function's code, and a line timer that runs (``pyrometer run
  --mode lines``, ``pyrometer.lines``, ``pyrometer.profile(output=...)``)
  times every marked function. With no timer running it costs one dict
  insertion per decorated function, so code may keep it in production.
* ``Choice``: ``--function FILE.py:QUALNAME`` / ``MODULE:QUALNAME`` and
  ``--module MODULE`` (every function and method of the module's file, not
  its body, class bodies, lambdas or comprehensions) resolved before the
  program runs, from the source files alone (nothing of the program is
  imported or run), and matched at run time by file, first line and name
  (``LineTimer.set_matcher``).

The timing itself (hooks, clocks, counters) is the engine's (ext/, core/).
This module imports nothing beyond ``os`` and ``sys``: it runs inside the
profiled program, and ``from pyrometer import profile`` may be in code that
is never profiled.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import CodeType
    from typing import Any, Callable, TypeVar

    from . import _core

    F = TypeVar("F")
    Timer = _core.LineTimer

#: code objects marked with @profile, by id (the code is kept alive, so the id stays its own)
_marked: dict[int, CodeType] = {}
#: the line timer pyrometer runs now (the CLI's, a `lines` block's, a decorator's), if any
_running: list[Timer] = []

_CO_NEWLOCALS = 0x2  # a function's code, not a class body's or a module's


def running() -> Timer | None:
    """The line timer that runs now, or None."""
    return _running[-1] if _running else None


def register(timer: Timer) -> None:
    """Make @profile choose into `timer` from now on (its owner starts it),
    until ``stop(timer)``."""
    _running.append(timer)


def start(timer: Timer) -> None:
    """Start `timer` with every function marked by @profile so far; @profile
    adds to it from now on until ``stop(timer)``."""
    for code in list(_marked.values()):
        timer.add_code(code)
    timer.start()
    _running.append(timer)


def stop(timer: Timer, warn: bool = True) -> None:
    """Stop `timer` (if it runs) and forget it; with `warn`, a profile that
    lost events for lack of memory issues IncompleteProfileWarning."""
    if timer in _running:
        _running.remove(timer)
    if timer.running:
        timer.stop(warn=warn)


# ==== which code a Python object stands for ====


def codes_of(obj: object) -> list[CodeType]:
    """The code objects of the functions `obj` stands for, as line_profiler
    sees them: a function or method its own code (not the function a
    ``functools.wraps`` wrapper wraps: the one given); classmethod and
    staticmethod their ``__func__``; a property its getter, setter and
    deleter; ``functools.partial`` its ``func``; a class every function
    defined in its body; an object with ``__call__`` that method; a code
    object itself. C functions have no lines: none."""
    found: list[CodeType] = []
    _collect(obj, found, set(), True)
    return found


def _collect(obj: object, found: list[CodeType], seen: set[int], descend: bool) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    code_type = type(_collect.__code__)
    if isinstance(obj, code_type):
        found.append(obj)
    elif isinstance(obj, (classmethod, staticmethod)):
        _collect(obj.__func__, found, seen, descend)
    elif isinstance(obj, property):
        for part in (obj.fget, obj.fset, obj.fdel):
            if part is not None:
                _collect(part, found, seen, descend)
    elif isinstance(obj, type):
        if descend:  # the functions of the class body, not those of classes nested in it
            for member in list(vars(obj).values()):
                _collect(member, found, seen, False)
    elif isinstance(getattr(obj, "__code__", None), code_type):  # functions, bound methods
        found.append(obj.__code__)  # type: ignore[attr-defined]
    elif callable(getattr(obj, "func", None)):  # functools.partial, partialmethod, cached_property
        _collect(obj.func, found, seen, descend)  # type: ignore[attr-defined]
    elif callable(obj):
        call = vars(type(obj)).get("__call__")  # a class's own __call__ (not an inherited C one)
        if isinstance(getattr(call, "__code__", None), code_type):
            _collect(call, found, seen, descend)


def profile(func: F) -> F:
    """kernprof's ``@profile``: time every line of this function whenever
    pyrometer times lines (``pyrometer run --mode lines``,
    ``pyrometer.lines(...)``), tabulate what each of its lines allocated
    under ``pyrometer run --mode memory``, and do nothing otherwise.

    Returns `func` itself, unchanged: the program runs as it would without
    the decorator. Takes functions, methods, async functions, generators,
    classmethod/staticmethod, property, functools.partial and classes
    (every function of the class body). With arguments,
    ``pyrometer.profile(output="f.txt")`` times every call of the function
    and writes the report at exit (see ``pyrometer.api.profile``).
    """
    timer = running()
    for code in codes_of(func):
        _marked.setdefault(id(code), code)
        if timer is not None:
            timer.add_code(code)
    return func


# ==== --function and --module: resolved before the program runs ====


class ChoiceError(Exception):
    """A --function or --module that names nothing: one line, with close matches."""


class Choice:
    """What ``--function`` and ``--module`` chose, as (real path, first line,
    name) keys and whole files, and the matcher a LineTimer calls with each
    new code object."""

    def __init__(self) -> None:
        #: (real path, first line, name) of each chosen function, and its code compiled from the source
        self.keys: dict[tuple[str, int, str], CodeType] = {}
        self.files: set[str] = set()
        self.matched: set[int] = set()  # ids of the codes in `keys` that something matched
        self._real: dict[str, str] = {}

    def __bool__(self) -> bool:
        return bool(self.keys or self.files)

    def matches(self, code: CodeType) -> bool:
        """Whether `code` is one of the chosen functions (the LineTimer's
        matcher: called once per code object)."""
        name = code.co_filename
        real = self._real.get(name)
        if real is None:
            real = self._real[name] = os.path.realpath(name) if not name.startswith("<") else name
        key = (real, code.co_firstlineno, code.co_name)
        if key in self.keys:
            self.matched.add(id(self.keys[key]))
            return True
        # a function of a chosen module (one its source does not show: exec'd, a changed file);
        # not its body, class bodies, lambdas, comprehensions
        return real in self.files and bool(code.co_flags & _CO_NEWLOCALS) and not code.co_name.startswith("<")

    def chose(self, filename: str, firstline: int, name: str) -> bool:
        """Whether the function recorded as (co_filename, co_firstlineno,
        co_name) is one of the chosen (a profile's function: no code object
        at hand)."""
        real = self._real.get(filename)
        if real is None:
            real = self._real[filename] = os.path.realpath(filename) if not filename.startswith("<") else filename
        code = self.keys.get((real, firstline, name))
        if code is not None:
            self.matched.add(id(code))
            return True
        return real in self.files and not name.startswith("<")

    def unmatched(self) -> list[CodeType]:
        """The chosen functions no code object of the program matched (never
        called): their code as compiled from the source, for the report to
        list them."""
        left = {id(code): code for code in self.keys.values() if id(code) not in self.matched}
        return list(left.values())


def search_path(path0: str) -> list[str]:
    """The ``sys.path`` the program will see: its own first entry (the
    script's directory, or the working directory for -m and -c), then ours."""
    return [path0 or os.getcwd(), *sys.path[1:]]


def resolve(functions: list[str], modules: list[str], path: list[str], program_file: str | None) -> Choice:
    """Resolve ``--function`` specs (``FILE.py:QUALNAME``,
    ``package.module:QUALNAME``, or a bare ``QUALNAME`` of the program's own
    file `program_file`) and ``--module`` names against the module search
    `path`, reading and compiling the source files only.

    Raises ChoiceError, with one line naming what is missing and the closest
    names that exist."""
    choice = Choice()
    for name in modules:
        filename = _module_file(name, path, f"--module {name}")
        names = [os.path.realpath(filename), f"<frozen {name}>"]  # frozen standard modules (3.11+): no path
        choice.files.update(names)
        for same_name in _qualnames(filename, f"--module {name}").values():
            for code in same_name:  # known by key too, so that those never called are listed as such
                if code.co_flags & _CO_NEWLOCALS and not code.co_name.startswith("<"):
                    for where in names:
                        choice.keys[(where, code.co_firstlineno, code.co_name)] = code
    for spec in functions:
        where, colon, qualname = spec.rpartition(":")
        what = f"--function {spec}"
        if not colon:
            if program_file is None:
                raise ChoiceError(f"{what}: give FILE.py:QUALNAME or MODULE:QUALNAME (a -c program has no file)")
            where, qualname = program_file, spec
        if not where or not qualname:
            raise ChoiceError(f"{what}: give FILE.py:QUALNAME or MODULE:QUALNAME")
        by_path = where.endswith(".py") or os.sep in where or where == program_file
        filename = _source_file(where, what) if by_path else _module_file(where, path, what)
        codes = _qualnames(filename, what)
        hits = codes.get(qualname)
        if not hits:
            raise ChoiceError(f"{what}: {where} defines no function {qualname}{_close(qualname, codes, True)}")
        names = [os.path.realpath(filename)]
        if not by_path:
            names.append(f"<frozen {where}>")  # a frozen standard module (3.11+) runs under that name
        for code in hits:
            for name in names:
                choice.keys[(name, code.co_firstlineno, code.co_name)] = code
    return choice


def _close(name: str, names: Any, listing: bool = False, qualified: bool = True) -> str:
    """``; close matches: ...`` for `name` among `names` (qualified names
    whose last part is the one given first), or nothing; with `listing`,
    when nothing is close, the names themselves if there are few."""
    import difflib

    names = sorted(n for n in names if not n.rsplit(".", 1)[-1].startswith("<"))
    last = name.rsplit(".", 1)[-1]
    same = [n for n in names if n != name and n.rsplit(".", 1)[-1] == last] if qualified else []
    close = same + [n for n in difflib.get_close_matches(name, names, n=5, cutoff=0.6) if n not in same]
    if close:
        return f"; close matches: {', '.join(close[:5])}"
    if listing and names:
        return f"; it defines {', '.join(names[:8])}{', ...' if len(names) > 8 else ''}"
    return ""


def _source_file(path: str, what: str) -> str:
    if os.path.isfile(path):
        return os.path.abspath(path)
    directory = os.path.dirname(path) or "."
    try:
        near = [os.path.join(os.path.dirname(path), n) for n in os.listdir(directory) if n.endswith(".py")]
    except OSError:
        near = []
    why = "is a directory" if os.path.isdir(path) else "no such file"
    raise ChoiceError(f"{what}: {why}: {path}{_close(path, near, qualified=False)}")


def _module_file(name: str, path: list[str], what: str) -> str:
    """The source file of module `name` found on `path` as import would find
    it, packages walked through their search locations: nothing imported."""
    from _frozen_importlib_external import PathFinder  # as the interpreter holds it: no importlib

    locations: list[str] | None = path
    spec = None
    parts = name.split(".")
    for i, part in enumerate(parts):
        full = ".".join(parts[: i + 1])
        spec = PathFinder.find_spec(full, locations) if locations is not None else None
        if spec is None:
            near = _close(part, _names(locations), qualified=False)
            raise ChoiceError(f"{what}: no module named {full} on the program's path{near}")
        locations = list(spec.submodule_search_locations or []) or None
    assert spec is not None
    origin = spec.origin
    if not origin or not origin.endswith(".py"):
        kind = "a namespace package" if not origin or origin == "namespace" else origin
        raise ChoiceError(f"{what}: {name} has no Python source to time ({kind})")
    return str(origin)


def _names(locations: list[str] | None) -> list[str]:
    """The module and package names in `locations` (for close matches)."""
    names = set()
    for entry in locations or []:
        try:
            for n in os.listdir(entry or "."):
                if n.endswith(".py"):
                    names.add(n[:-3])
                elif os.path.isfile(os.path.join(entry, n, "__init__.py")):
                    names.add(n)
        except OSError:
            continue
    return sorted(names)


def _qualnames(filename: str, what: str) -> dict[str, list[CodeType]]:
    """Every function and class body of `filename` by qualified name,
    compiled from the source without running it."""
    try:
        with open(filename, "rb") as f:
            source = f.read()
        module = compile(source, filename, "exec", dont_inherit=True)
    except OSError as e:
        raise ChoiceError(f"{what}: cannot read {filename}: {e.strerror}") from None
    except (SyntaxError, ValueError) as e:
        raise ChoiceError(f"{what}: cannot compile {filename}: {e}") from None
    found: dict[str, list[CodeType]] = {}
    _walk(module, "", found)
    return found


def _walk(code: CodeType, prefix: str, found: dict[str, list[CodeType]]) -> None:
    for const in code.co_consts:
        if not isinstance(const, type(code)):
            continue
        # 3.11+ know their qualified names; before, rebuild them from the nesting
        qualname = getattr(const, "co_qualname", None) or prefix + const.co_name
        found.setdefault(qualname, []).append(const)
        inner = f"{qualname}.<locals>." if const.co_flags & _CO_NEWLOCALS else f"{qualname}."
        _walk(const, inner, found)


# ==== memory mode: the functions whose lines the report tabulates ====


def memory_choice(choice: Choice, recorded: Iterable[tuple[str, int, str, str]]) -> str:
    """The memory profile's metadata ``mem_functions`` (core/format/fmt_memlines.h):
    one ``FILE\tFIRSTLINE\tNAME\tQUALNAME`` line per chosen function. The
    functions the profile `recorded` ((file, first line, name, qualname) as
    it names them) that `choice` chose; every function @profile marked; the
    chosen that nothing recorded (listed with no allocations)."""
    entries: dict[tuple[str, int, str], str] = {}
    if choice:
        for filename, firstline, name, qualname in recorded:
            if choice.chose(filename, firstline, name):
                entries[(filename, firstline, name)] = qualname
        for code in choice.unmatched():
            entries.setdefault(_key(code), getattr(code, "co_qualname", code.co_name))
    for code in _marked.values():
        entries.setdefault(_key(code), getattr(code, "co_qualname", code.co_name))
    lines = [
        f"{f}\t{line}\t{name}\t{qual}\n"
        for (f, line, name), qual in sorted(entries.items())
        if not any(c in f or c in qual for c in "\t\n")
    ]
    return "".join(lines)


def _key(code: CodeType) -> tuple[str, int, str]:
    return (code.co_filename, code.co_firstlineno, code.co_name)


# ==== kernprof's builtin ====


class BuiltinProfile:
    """``profile`` in builtins while ``run --mode lines`` or ``--mode
    memory`` runs the program, as kernprof and ``python -m memory_profiler``
    put it there: code written for them runs unchanged. A
    ``profile`` the program defines itself wins (builtins are the last
    place a name is looked up); one already in builtins is left alone."""

    def __init__(self) -> None:
        self.installed = False

    def install(self) -> None:
        import builtins

        if not hasattr(builtins, "profile"):
            builtins.profile = profile  # type: ignore[attr-defined]
            self.installed = True

    def remove(self) -> None:
        import builtins

        if self.installed and getattr(builtins, "profile", None) is profile:
            del builtins.profile  # type: ignore[attr-defined]
        self.installed = False


def matcher_of(choice: Choice) -> Callable[[CodeType], bool] | None:
    """The matcher to give LineTimer.set_matcher: None when nothing was chosen
    by file (no per-call cost)."""
    return choice.matches if choice else None
