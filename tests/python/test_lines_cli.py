"""`pyrometer run --mode lines`: functions chosen with @profile (in builtins,
as under kernprof), --function and --module (resolved from the source files
before the program runs, never by importing it), bad input refused with one
line, close matches and a distinct status, and the program running exactly
as under `python`."""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import textwrap

import pytest
from conftest import PYRO_SCRIPT, pyro, run

EXIT_USAGE, EXIT_NOFUNC, EXIT_NOCHOICE = 2, 11, 12

PROG = """\
import sys


class Shape:
    def __init__(self, n):
        self.n = n

    def area(self):
        total = 0
        for i in range(self.n):
            total += i
        return total

    @property
    def size(self):
        return self.n

    @size.setter
    def size(self, value):
        self.n = value


def outer(n):
    def inner(k):
        return k * 2

    return sum(inner(i) for i in range(n))


def hot(n):
    s = 0
    for i in range(n):
        s += i
    return s


def never():
    return 1


print("ran", hot(10), Shape(4).area(), outer(3))
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""

KERNPROF = """\
import builtins
import atexit


@profile
def hot(n):
    s = 0
    for i in range(n):
        s += i
    return s


atexit.register(lambda: print("at exit, profile in builtins:", hasattr(builtins, "profile")))
print("result", hot(100))
"""

PKG_MOD = """\
def work(n):
    return sum(range(n))


class Tool:
    def run(self):
        return work(5)
"""

PKG_MAIN = """\
from pkg.mod import Tool, work

print("pkg", work(10), Tool().run())
"""


@pytest.fixture
def prog(tmp_path):
    (tmp_path / "prog.py").write_text(PROG)
    (tmp_path / "kp.py").write_text(KERNPROF)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("raise RuntimeError('the package must not be imported')\n")
    (tmp_path / "pkg" / "mod.py").write_text(PKG_MOD)
    (tmp_path / "pkg" / "__main__.py").write_text(PKG_MAIN)
    (tmp_path / "main.py").write_text(PKG_MAIN.replace("from pkg.mod", "import sys; from pkg.mod"))
    return tmp_path


def lines(*args, cwd, **kw):
    return pyro("run", "--mode", "lines", *args, cwd=cwd, **kw)


def one_line(r) -> str:
    """The only line of stderr (bad input is one line)."""
    got = r.stderr.strip().splitlines()
    assert len(got) == 1, r.stderr
    assert got[0].startswith("pyrometer: "), r.stderr
    return got[0]


# ==== resolution (no engine needed: it runs before anything starts) ====


def test_resolve_qualnames(prog):
    """Methods, property accessors (two functions, one qualname), nested
    functions (outer.<locals>.inner on every version, 3.9 and 3.10 too),
    generator expressions; keyed by real path, first line and name."""
    from pyrometer import _lines

    path = [str(prog), *sys.path[1:]]
    file = str(prog / "prog.py")
    choice = _lines.resolve(
        [f"{file}:Shape.area", f"{file}:Shape.size", f"{file}:outer.<locals>.inner"], [], path, None
    )
    real = os.path.realpath(prog / "prog.py")
    assert sorted(choice.keys) == [(real, 8, "area"), (real, 14, "size"), (real, 18, "size"), (real, 24, "inner")]
    assert not choice.files
    choice = _lines.resolve(["pkg.mod:Tool.run", "pkg.mod:work"], ["pkg.mod"], path, None)
    mod = os.path.realpath(prog / "pkg" / "mod.py")
    assert sorted(choice.keys) == [
        (mod, 1, "work"),
        (mod, 6, "run"),
        ("<frozen pkg.mod>", 1, "work"),
        ("<frozen pkg.mod>", 6, "run"),
    ]
    assert choice.files == {mod, "<frozen pkg.mod>"}
    # a bare qualname is a function of the program's own file
    choice = _lines.resolve(["hot"], [], path, str(prog / "prog.py"))
    assert list(choice.keys) == [(real, 30, "hot")]


def test_matcher(prog):
    from pyrometer import _lines

    path = [str(prog), *sys.path[1:]]
    choice = _lines.resolve([f"{prog / 'prog.py'}:hot"], ["pkg.mod"], path, None)
    code = compile(PROG, str(prog / "prog.py"), "exec")
    funcs = {c.co_name: c for c in code.co_consts if hasattr(c, "co_code")}
    assert choice.matches(funcs["hot"]) and not choice.matches(funcs["never"]) and not choice.matches(code)
    # the functions of a chosen module are known from its source: listed until they run
    assert sorted(c.co_name for c in choice.unmatched()) == ["run", "work"]
    mod = compile(PKG_MOD, str(prog / "pkg" / ".." / "pkg" / "mod.py"), "exec")  # another spelling, same file
    assert not choice.matches(mod)  # the module body is not a function
    work, tool = (c for c in mod.co_consts if hasattr(c, "co_code"))
    run_ = next(c for c in tool.co_consts if hasattr(c, "co_code"))
    assert choice.matches(work) and choice.matches(run_)
    assert not choice.matches(tool)  # nor is a class body
    assert choice.unmatched() == []
    assert not _lines.resolve([], [], path, None)


def test_codes_of_what_kernprof_takes():
    import functools

    from pyrometer import _lines

    class C:
        def m(self):
            return 1

        @classmethod
        def cm(cls):
            return 2

        @staticmethod
        def sm():
            return 3

        @property
        def p(self):
            return 4

        @p.setter
        def p(self, v):
            pass

        def __call__(self):
            return 5

        class Nested:
            def n(self):
                return 6

    def f(a, b):
        return a + b

    @functools.wraps(f)
    def wrapper(*a):
        return f(*a)

    async def coro():
        return 1

    def gen():
        yield 1

    names = lambda obj: sorted(c.co_name for c in _lines.codes_of(obj))  # noqa: E731
    assert names(f) == ["f"]
    assert names(wrapper) == ["wrapper"]  # the function given, as line_profiler does
    assert names(C().m) == ["m"]
    assert names(vars(C)["cm"]) == ["cm"] and names(vars(C)["sm"]) == ["sm"]
    assert names(C.p) == ["p", "p"]
    assert names(functools.partial(f, 1)) == ["f"]
    assert names(C) == ["__call__", "cm", "m", "p", "p", "sm"]  # not the nested class's
    assert names(C()) == ["__call__"]
    assert names(coro) == ["coro"] and names(gen) == ["gen"]
    assert names(f.__code__) == ["f"]
    assert names(len) == [] and names(3) == []


def test_profile_is_a_no_op_without_line_timing():
    from pyrometer import _lines, profile

    def f():
        return 1

    prop = property(f)
    assert profile(f) is f and profile(prop) is prop and profile(len) is len
    assert _lines.running() is None


# ==== bad input: one line, close matches, a distinct status, nothing run ====


@pytest.mark.parametrize(
    "args, status, expect",
    [
        (["--function", "prgo.py:hot"], EXIT_NOFUNC, ["no such file: prgo.py", "close matches: prog.py"]),
        (["--function", "prog.py:hott"], EXIT_NOFUNC, ["prog.py defines no function hott", "close matches: hot"]),
        (["--function", "prog.py:Shape.aera"], EXIT_NOFUNC, ["no function Shape.aera", "Shape.area"]),
        (["--function", "prog.py:inner"], EXIT_NOFUNC, ["no function inner", "outer.<locals>.inner"]),
        (["--function", "pkg.mdo:work"], EXIT_NOFUNC, ["no module named pkg.mdo", "close matches: mod"]),
        (["--function", "pgk.mod:work"], EXIT_NOFUNC, ["no module named pgk", "close matches: pkg"]),
        (["--function", "pkg.mod:wrok"], EXIT_NOFUNC, ["pkg.mod defines no function wrok", "work"]),
        (["--module", "pkg.nosuch"], EXIT_NOFUNC, ["--module pkg.nosuch: no module named pkg.nosuch"]),
        (["--function", "hott"], EXIT_NOFUNC, ["defines no function hott", "close matches: hot"]),
        (["--function", "prog.py:"], EXIT_NOFUNC, ["give FILE.py:QUALNAME or MODULE:QUALNAME"]),
        (["--rate", "100"], EXIT_USAGE, ["--rate is for --mode sample"]),
        (["--blocking"], EXIT_USAGE, ["--blocking is for --mode sample"]),
        (["--no-builtins"], EXIT_USAGE, ["--no-builtins is for --mode trace"]),
        (["--backend", "legacy"], EXIT_USAGE, ["--backend is for --mode trace"]),
        (["--clock", "cpu"], EXIT_USAGE, ["--clock is for --mode sample and trace"]),
        (["--callers", "3"], EXIT_USAGE, ["--callers is for the table"]),
        (["--sort", "name"], EXIT_USAGE, ["--sort is for the table"]),
        (["--format", "svg"], EXIT_USAGE, ["a lines profile cannot be written as svg"]),
        (["-o", "x.prof"], EXIT_USAGE, ["a lines profile cannot be written as pstats"]),
        (["-o", "x.json", "--unit", "ms"], EXIT_USAGE, ["--unit is for the report"]),
    ],
)
def test_bad_input(prog, args, status, expect):
    r = lines(*args, "prog.py", cwd=prog)
    assert r.returncode == status, r.stderr
    line = one_line(r)
    for e in expect:
        assert e in line, line
    assert r.stdout == ""  # the program never ran


def test_bad_input_module_program(prog):
    """-m: the program's path is the working directory, and the package's
    __init__ (which raises) is never run to find its module."""
    r = lines("--function", "pkg.mod:wokr", "-m", "prog", cwd=prog)
    assert r.returncode == EXIT_NOFUNC and "close matches: work" in one_line(r)
    r = lines("--function", "pkg.mod:nope", "-m", "prog", cwd=prog)
    assert r.returncode == EXIT_NOFUNC and "it defines Tool, Tool.run, work" in one_line(r)
    r = lines("--function", "nope", "-c", "print(1)", cwd=prog)
    assert r.returncode == EXIT_NOFUNC and "a -c program has no file" in one_line(r)


def test_lines_options_refused_in_other_modes(prog):
    for mode in ("sample", "trace"):
        r = pyro("run", "--mode", mode, "--function", "prog.py:hot", "prog.py", cwd=prog)
        assert r.returncode == EXIT_USAGE and "--function is for --mode lines" in one_line(r)
        r = pyro("run", "--mode", mode, "--module", "pkg.mod", "prog.py", cwd=prog)
        assert r.returncode == EXIT_USAGE and "--module is for --mode lines" in one_line(r)
        r = pyro("run", "--mode", mode, "--unit", "ms", "prog.py", cwd=prog)
        assert r.returncode == EXIT_USAGE and "--unit is for --mode lines" in one_line(r)


def test_syntax_error_in_chosen_module(prog):
    (prog / "broken.py").write_text("def f(:\n")
    r = lines("--function", "broken:f", "prog.py", cwd=prog)
    assert r.returncode == EXIT_NOFUNC and "cannot compile" in one_line(r)


def test_help_names_the_options():
    r = pyro("run", "--help")
    assert r.returncode == 0
    for text in ("--function", "--module", "lines:"):
        assert text in r.stdout


def test_from_pyrometer_import_profile_under_python_and_trace(prog):
    """The decorator does nothing and returns the function itself under
    plain python and under the other modes."""
    src = textwrap.dedent(
        """\
        from pyrometer import profile

        def f(x):
            return x + 1

        g = profile(f)
        print(g is f, g(1))
        """
    )
    (prog / "imp.py").write_text(src)
    plain = run([sys.executable, "imp.py"], cwd=prog)
    assert plain.returncode == 0 and plain.stdout == "True 2\n", plain.stderr
    for mode in ("trace", "sample"):
        r = pyro("run", "--mode", mode, "imp.py", cwd=prog)
        assert r.returncode == 0 and r.stdout == "True 2\n", r.stderr


# ==== end to end (needs the engine: _core.LineTimer) ====


def engine():
    from pyrometer import _core

    if not hasattr(_core, "LineTimer"):
        pytest.fail("this build has no _core.LineTimer")


def functions_of(path) -> dict[str, dict]:
    data = json.loads(path.read_text())
    assert data["mode"] == "lines"
    return {f["qualname"]: f for f in data["functions"]}


def q(qualname: str) -> str:
    """How the profile names a function: 3.9 and 3.10 code objects know only
    their plain name."""
    return qualname if sys.version_info >= (3, 11) else qualname.rsplit(".", 1)[-1]


def hits(func: dict) -> dict[int, int]:
    return {ln["line"]: ln["hits"] for ln in func["lines"]}


def test_kernprof_script_runs_unchanged(prog):
    """Bare @profile with no import, as under kernprof -l: the program's
    output and status are python's... which has no `profile`: under python
    the script fails, under kernprof and us it runs, and `profile` is gone
    from builtins once the program ended (its atexit handlers see that)."""
    engine()
    r = lines("-o", "out.json", "kp.py", cwd=prog)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "result 4950\nat exit, profile in builtins: False\n"
    f = functions_of(prog / "out.json")["hot"]
    assert f["calls"] == 1 and hits(f)[9] == 100
    r = lines("kp.py", cwd=prog)  # the report on stderr
    assert r.returncode == 0 and "hot" in r.stderr and "Line #" in r.stderr, r.stderr


def test_program_defines_its_own_profile(prog):
    engine()
    (prog / "own.py").write_text("def profile(f):\n    print('mine')\n    return f\n\n\n@profile\ndef g():\n    pass\n")
    r = lines("own.py", cwd=prog)
    assert r.stdout == "mine\n"
    assert r.returncode == EXIT_NOCHOICE and "no function was chosen" in r.stderr


@pytest.mark.parametrize("how", ["file", "module", "bare"])
def test_function_choices(prog, how):
    engine()
    spec = {"file": "prog.py:{}", "module": "prog:{}", "bare": "{}"}[how]
    args = []
    for name in ("Shape.area", "outer.<locals>.inner", "hot", "never"):
        args += ["--function", spec.format(name)]
    r = lines(*args, "-o", "out.json", "prog.py", "3", cwd=prog)
    assert r.returncode == 3, r.stderr  # the program's own status passes through
    assert r.stdout == "ran 45 6 6\n"
    funcs = functions_of(prog / "out.json")
    assert set(funcs) == {q("Shape.area"), q("outer.<locals>.inner"), "hot", "never"}
    assert funcs["hot"]["calls"] == 1 and hits(funcs["hot"])[33] == 10
    assert funcs[q("outer.<locals>.inner")]["calls"] == 3
    assert funcs["never"]["calls"] == 0 and set(hits(funcs["never"]).values()) == {0}  # listed, never called


@pytest.mark.parametrize("how", ["script", "-m"])
def test_package_module(prog, how):
    engine()
    start = ["main.py"] if how == "script" else ["-m", "pkg"]
    (prog / "pkg" / "__init__.py").write_text("")
    r = lines("--function", "pkg.mod:work", "--function", "pkg/mod.py:Tool.run", "-o", "out.json", *start, cwd=prog)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "pkg 45 10\n"
    funcs = functions_of(prog / "out.json")
    assert set(funcs) == {"work", q("Tool.run")} and funcs["work"]["calls"] == 2
    r = lines("--module", "pkg.mod", "-o", "out.json", *start, cwd=prog)
    assert r.returncode == 0, r.stderr
    assert set(functions_of(prog / "out.json")) == {"work", q("Tool.run")}


def test_module_functions_never_called_are_listed(prog):
    """--module lists every function of the module, those that never ran
    with no calls (as --function does and line_profiler does), not
    "nothing chosen" when none of them ran."""
    engine()
    (prog / "pkg" / "__init__.py").write_text("")
    (prog / "only.py").write_text("import pkg.mod\n\nprint(pkg.mod.work(4))\n")
    r = lines("--module", "pkg.mod", "-o", "out.json", "only.py", cwd=prog)
    assert r.returncode == 0, r.stderr
    funcs = functions_of(prog / "out.json")
    assert funcs["work"]["calls"] == 1 and funcs[q("Tool.run")]["calls"] == 0
    (prog / "none.py").write_text("import pkg.mod\n")
    r = lines("--module", "pkg.mod", "-o", "out.json", "none.py", cwd=prog)
    assert r.returncode == 0, r.stderr
    assert {f: v["calls"] for f, v in functions_of(prog / "out.json").items()} == {"work": 0, q("Tool.run"): 0}


def test_nothing_chosen(prog):
    """The program runs; at the end one line says how to choose; status 12
    only when the program itself succeeded; no profile written."""
    engine()
    r = lines("-o", "out.json", "prog.py", cwd=prog)
    assert r.stdout.startswith("ran ")
    assert r.returncode == EXIT_NOCHOICE
    line = one_line(r)
    for text in ("@profile", "--function", "--module", "--mode sample", "--format lines"):
        assert text in line
    assert not (prog / "out.json").exists()
    r = lines("prog.py", "5", cwd=prog)
    assert r.returncode == 5 and "no function was chosen" in r.stderr


def test_frozen_standard_module(prog):
    """3.11+ run os and posixpath frozen (co_filename "<frozen posixpath>"):
    chosen by module name, they are matched all the same."""
    engine()
    (prog / "paths.py").write_text("import os\n\nfor i in range(3):\n    os.path.commonpath(['/a/b', '/a/c'])\n")
    for how in (["--function", "posixpath:commonpath"], ["--module", "posixpath"]):
        r = lines(*how, "-o", "out.json", "paths.py", cwd=prog)
        assert r.returncode == 0, r.stderr
        assert functions_of(prog / "out.json")["commonpath"]["calls"] == 3


def test_console_script_and_txt(prog):
    engine()
    r = run([*PYRO_SCRIPT, "run", "--mode", "lines", "-o", "out.txt", "kp.py"], cwd=prog)
    assert r.returncode == 0, r.stderr
    text = (prog / "out.txt").read_text()
    assert "hot" in text and "Line #" in text


@pytest.mark.skipif(not sysconfig.get_config_var("Py_GIL_DISABLED"), reason="free-threaded builds only")
def test_free_threaded_without_gil_refused(prog):
    """Exact line timing needs the GIL: status 8 before the program starts."""
    r = lines("kp.py", cwd=prog, env={"PYTHON_GIL": "0"})
    assert r.returncode == 8 and "PYTHON_GIL=1" in one_line(r)
    assert r.stdout == ""
