"""The extension's entry points with bad arguments, and what an API user is
told when a recording dropped events. Everything that could crash the
interpreter runs in a child process."""

from __future__ import annotations

import sys
import textwrap

import pytest
from conftest import run

from pyrometer import _core

# Objects the cases below use, made in the child first.
SETUP = """
import math, sys
from pyrometer import _core
tracer = _core.Tracer()
tracer.start()
def f(): pass
f()
tracer.stop()
profile = tracer.profile()
bare_tracer = _core.Tracer.__new__(_core.Tracer)
bare_sampler = _core.Sampler.__new__(_core.Sampler)
sampler = _core.Sampler()
code = compile("1", "<x>", "eval")
def outer():
    x = 1
    def inner(): return x
    return inner
closure_code = outer().__code__  # has a free variable: no closure to read without a function
"""

# (expression, the exception it must raise, a part of its message or "").
# Every entry point of _core, by keyword and positionally, with missing
# arguments, wrong types, None, bytes for str, NUL bytes, and numbers out of
# range.
CASES = [
    # ==== Tracer ====
    ("_core.Tracer(clock='bogus')", "ValueError", "not 'bogus'"),
    ("_core.Tracer(clock=None)", "TypeError", ""),
    ("_core.Tracer(clock=b'wall')", "TypeError", ""),
    ("_core.Tracer(clock='wall\\0')", "ValueError", "null"),
    ("_core.Tracer(clock=1)", "TypeError", ""),
    ("_core.Tracer('wall')", "TypeError", ""),
    ("_core.Tracer(backend='bogus')", "ValueError", "'bogus'"),
    ("_core.Tracer(backend=None)", "TypeError", ""),
    ("_core.Tracer(nope=1)", "TypeError", ""),
    ("tracer.__init__(clock='cpu')", "RuntimeError", "twice"),
    ("tracer.clock", None, "wall"),  # the failed second __init__ changed nothing
    ("tracer.hide(1)", "TypeError", ""),
    ("tracer.hide(None)", "TypeError", ""),
    ("tracer.exec_code(1, {})", "TypeError", ""),
    ("tracer.exec_code(code, None)", "TypeError", ""),
    ("tracer.exec_code(code, {})", "RuntimeError", "running"),
    ("tracer.exec_code(closure_code, {})", "TypeError", "free variables"),
    ("tracer._bootstrap()", "TypeError", ""),
    ("tracer._bootstrap(None, None, None)", None, "None"),
    ("tracer.stop(1)", "TypeError", ""),
    ("tracer.stop(nope=1)", "TypeError", ""),
    ("tracer.start(1)", "TypeError", ""),
    ("bare_tracer.start()", "RuntimeError", "not initialized"),
    ("bare_tracer.stop()", None, "None"),
    ("bare_tracer.profile()", "RuntimeError", "not initialized"),
    ("bare_tracer.hide(f)", "RuntimeError", "not initialized"),
    ("bare_tracer.pause_thread()", "RuntimeError", "not initialized"),
    ("bare_tracer.exec_code(code, {})", "RuntimeError", "not initialized"),
    ("bare_tracer._bootstrap(None, 'call', None)", "RuntimeError", "not initialized"),
    ("(bare_tracer.running, bare_tracer.incomplete)", None, "(False, False)"),
    # ==== Profile ====
    ("profile.write(path='x.zzz')", "ValueError", "'x.zzz'"),
    ("profile.write('x.zzz')", "ValueError", "'x.zzz'"),
    ("profile.write(b'x.zzz')", "ValueError", "'x.zzz'"),
    ("profile.write(path='x.json', format='bogus')", "ValueError", "'bogus'"),
    ("profile.write('x.json', 'bogus')", "ValueError", "'bogus'"),
    ("profile.write(path='x\\0.json')", "ValueError", "null"),
    ("profile.write(path=None)", "TypeError", ""),
    ("profile.write()", "TypeError", ""),
    ("profile.write(path=1)", "TypeError", ""),
    ("profile.write('x.json', limit=-1)", "ValueError", "limit"),
    ("profile.render(format='bogus')", "ValueError", "'bogus'"),
    ("profile.render(None)", "TypeError", ""),
    ("profile.render(b'table')", "TypeError", ""),
    ("profile.render('table', limit=-1)", "ValueError", "limit"),
    ("profile.render('table', callers=-5)", "ValueError", "callers"),
    ("profile.render('table', limit=2**70)", "OverflowError", ""),
    ("profile.render('table', limit='3')", "TypeError", ""),
    ("profile.render('table', threshold=math.nan)", "ValueError", "threshold"),
    ("profile.render('table', threshold=-0.5)", "ValueError", "threshold"),
    ("profile.render('table', sort=None)", "TypeError", ""),
    ("profile.render('table', sort='nope')", "ValueError", "sort"),
    ("profile.render('table', clock='x')", "ValueError", "clock"),
    ("profile.render('table', title='a\\0b')", "ValueError", "null"),
    ("profile.render('table', 30)", "TypeError", ""),
    ("profile.functions(clock='x')", "ValueError", "clock"),
    ("profile.functions(clock=None)", "TypeError", ""),
    ("profile.functions(thread=2**70)", "OverflowError", ""),
    ("profile.functions(thread='1')", "TypeError", ""),
    ("len(profile.functions(thread=-5)) > 0", None, "True"),
    ("profile.set_meta(1, 'x')", "TypeError", ""),
    ("profile.set_meta('k')", "TypeError", ""),
    ("profile.set_meta('k\\0', 'v')", "ValueError", "null"),
    ("_core.Profile.load(None)", "TypeError", ""),
    ("_core.Profile.load('a\\0b')", "ValueError", "null"),
    ("_core.Profile.load(b'/nonexistent/x.pyro')", "FileNotFoundError", ""),
    ("_core.Profile.loads(None)", "TypeError", ""),
    ("_core.Profile.loads('text')", "TypeError", ""),
    ("_core.Profile.loads(b'')", "ProfileError", ""),
    ("_core.Profile()", "TypeError", ""),
    # ==== Sampler ====
    ("_core.Sampler(pid=-1)", "ValueError", "process id"),
    ("_core.Sampler(pid=2**40)", "OverflowError", ""),
    ("_core.Sampler(pid=None)", "TypeError", ""),
    ("_core.Sampler(rate=math.nan)", "ValueError", "rate"),
    ("_core.Sampler(rate=0)", "ValueError", "rate"),
    ("_core.Sampler(rate='fast')", "TypeError", ""),
    ("_core.Sampler(root=1)", "TypeError", "root"),
    ("_core.Sampler(0, 1000.0)", "TypeError", ""),
    ("sampler.__init__()", "RuntimeError", "twice"),
    ("sampler.sample(math.nan)", "ValueError", "weight"),
    ("sampler.sample(-1.0)", "ValueError", "weight"),
    ("sampler.sample(1e300)", "ValueError", "weight"),
    ("sampler.sample('x')", "TypeError", ""),
    ("sampler.stop(1)", "TypeError", ""),
    ("sampler.exec_code(None, {})", "TypeError", ""),
    ("sampler.exec_code(closure_code, {})", "TypeError", "free variables"),
    ("bare_sampler.exec_code(closure_code, {})", "TypeError", "free variables"),
    ("bare_sampler.start()", "RuntimeError", "not initialized"),
    ("bare_sampler.stop()", "RuntimeError", "not initialized"),
    ("bare_sampler.take()", "RuntimeError", "not initialized"),
    ("bare_sampler.sample()", "RuntimeError", "not initialized"),
    ("bare_sampler.info", "RuntimeError", "not initialized"),
    # ==== module functions ====
    ("_core.dump(-1)", "ValueError", "process id"),
    ("_core.dump(pid=None)", "TypeError", ""),
    ("_core.dump('1')", "TypeError", ""),
    ("_core.dump()", "TypeError", ""),
    ("_core.dump(2**40)", "OverflowError", ""),
    ("_core.format_from_path(None)", "TypeError", ""),
    ("_core.format_from_path('a\\0.svg')", "ValueError", "null"),
    ("_core.format_from_path(b'a.svg')", None, "svg"),
    ("_core.compile_program(1, 'f')", "TypeError", ""),
    ("_core.compile_program('x = 1\\0', 'f')", "ValueError", "null"),
    ("_core.compile_program('x = 1', b'f')", "TypeError", ""),
    ("_core.compile_program('x = 1')", "TypeError", ""),
    ("_core._fail_allocations('3')", "TypeError", ""),
    ("_core._fail_allocations(-1)", "ValueError", ""),
    ("_core._fail_allocations(2**70)", "OverflowError", ""),
    ("_core._fail_allocations(None)", None, "0"),
]

CHILD = """
import traceback
{setup}
for expr in {exprs!r}:
    print("CASE", expr, flush=True)
    try:
        value = eval(expr)
    except BaseException as e:
        print("RAISED", type(e).__name__, str(e).replace("\\n", " "), flush=True)
    else:
        print("VALUE", value, flush=True)
print("DONE", flush=True)
"""


def run_cases(cases: list[tuple[str, str | None, str]]) -> None:
    code = CHILD.format(setup=textwrap.dedent(SETUP), exprs=[c[0] for c in cases])
    r = run([sys.executable, "-X", "faulthandler", "-c", code])
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines and lines[-1] == "DONE", (r.returncode, r.stdout[-2000:], r.stderr[-3000:])
    results = {}
    current = None
    for line in lines:
        if line.startswith("CASE "):
            current = line[5:]
        elif current is not None and line.startswith(("RAISED ", "VALUE ")):
            results[current] = line
            current = None
    wrong = []
    for expr, exc, part in cases:
        got = results.get(expr, "<no result>")
        if exc is None:
            ok = got.startswith("VALUE ") and part in got
        else:
            ok = got.startswith(f"RAISED {exc} ") and part in got
        if not ok:
            wrong.append(f"{expr}: expected {exc or 'a value'} with {part!r}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_bad_arguments_raise_never_crash():
    """Every entry point with bad arguments: TypeError, ValueError (or
    OverflowError, OSError) with a message naming what was wrong, never a
    crash. Tracer(clock=...) and Profile.write(path=...) by keyword read
    past the end of the empty argument tuple before."""
    run_cases(CASES)


@pytest.mark.skipif(not _core.HAVE_MONITORING, reason="sys.monitoring callbacks exist on 3.12+ only")
def test_monitoring_callbacks_called_by_hand():
    """A sys.monitoring callback object can reach Python code (register_callback
    returns it): called with too few or wrong arguments it raises or ignores
    them; its type cannot be instantiated."""
    code = textwrap.dedent(
        """
        import sys
        from pyrometer import _core
        E = sys.monitoring.events
        t = _core.Tracer(backend="monitoring")  # PY_START too (not the frame hook)
        t.start()
        tool = next(i for i in range(6) if sys.monitoring.get_tool(i) == "pyrometer")
        cb = sys.monitoring.register_callback(tool, E.PY_START, None)
        sys.monitoring.register_callback(tool, E.PY_START, cb)
        call = sys.monitoring.register_callback(tool, E.CALL, None)
        sys.monitoring.register_callback(tool, E.CALL, call)
        for fn, args in ((cb, ()), (cb, (1,)), (call, (1, 2, 3))):
            try:
                fn(*args)
            except TypeError as e:
                print("TypeError", e)
        cb(123, 0)        # not a code object: ignored
        cb("text", 0)
        try:
            type(cb)()
        except TypeError:
            print("no new")
        t.stop()
        names = [row[0] for row in t.profile().functions()]
        print("OK", sorted(n for n in names if n in ("123", "text")))
        """
    )
    r = run([sys.executable, "-X", "faulthandler", "-c", code])
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("TypeError") == 3 and "no new" in r.stdout
    assert "OK []" in r.stdout


# ==== recordings that dropped events: IncompleteProfileWarning ====

OOM_TRACE = """
import warnings
import pyrometer
from pyrometer import _core

def many_new_functions():
    ns = {{}}
    exec("\\n".join(f"def g{{i}}(): pass\\ng{{i}}()" for i in range(3000)), ns)

def work():
    _core._fail_allocations(0)  # every core allocation fails from here
    many_new_functions()
    failed = _core._fail_allocations(None)
    return failed

warnings.simplefilter("{action}")
{body}
"""


def run_oom(body: str, action: str = "always") -> tuple[int, str, str]:
    r = run([sys.executable, "-X", "faulthandler", "-c", OOM_TRACE.format(action=action, body=textwrap.dedent(body))])
    return r.returncode, r.stdout, r.stderr


def test_oom_while_tracing_warns_context_manager():
    """`with pyrometer.trace()`: the program goes on, the profile keeps what
    was recorded (meta complete: no), and the user is told at stop. Before,
    only the CLI looked at the sticky flag: an API user was told nothing."""
    rc, out, err = run_oom(
        """
        with pyrometer.trace() as t:
            failed = work()
        print("failed", failed > 0, t.profile.meta["complete"], t._tracer.incomplete)
        print("rendered", len(t.profile.render("table")) > 0)
        """
    )
    assert rc == 0, err[-3000:]
    assert "failed True no True" in out and "rendered True" in out
    assert err.count("IncompleteProfileWarning") == 1
    assert "memory was exhausted while tracing" in err


def test_oom_while_tracing_warns_decorator_once(tmp_path):
    """The decorator: the function's result is unchanged; the warning comes
    once, at the stop after the failure, not at every later call."""
    rc, out, err = run_oom(
        f"""
        @pyrometer.trace(output={str(tmp_path / "out.pyro")!r})
        def traced(fail):
            return work() if fail else sum(range(10))
        print("result", traced(True) > 0, traced(False) == 45)
        """
    )
    assert rc == 0, err[-3000:]
    assert "result True True" in out
    assert err.count("IncompleteProfileWarning") == 1
    assert _core.Profile.load(str(tmp_path / "out.pyro")).meta["complete"] == "no"


def test_oom_while_tracing_warning_as_error():
    """`-W error`: stop() raises the warning, after the tracer is fully
    stopped (hooks removed, profile readable); warn=False stays silent."""
    rc, out, err = run_oom(
        """
        t = _core.Tracer()
        t.start()
        work()
        try:
            t.stop()
        except _core.IncompleteProfileWarning as e:
            print("raised", issubclass(type(e), RuntimeWarning), t.running, e)
        print("complete", t.profile().meta["complete"])
        t2 = _core.Tracer()
        t2.start()
        work()
        t2.stop(warn=False)
        print("quiet", t2.incomplete)
        """,
        action="error",
    )
    assert rc == 0, err[-3000:]
    assert "raised True False memory was exhausted" in out
    assert "complete no" in out and "quiet True" in out


def test_oom_while_sampling_warns():
    """The sampler's sticky error: in-process sampling that runs out of
    memory ends early; stop() says so."""
    code = textwrap.dedent(
        """
        import time, warnings
        from pyrometer import _core
        warnings.simplefilter("always")
        s = _core.Sampler(rate=2000)
        s.start()
        _core._fail_allocations(0)
        deadline = time.monotonic() + 30
        i = 0
        while not s.finished and time.monotonic() < deadline:
            ns = {}
            exec(f"def h{i}():\\n    for _ in range(20000): pass\\nh{i}()", ns)  # new stacks
            i += 1
        _core._fail_allocations(None)
        print("finished", s.finished, s.info["error"])
        s.stop()
        print("took", s.take() is not None)
        s.stop()  # a second stop does not warn again
        """
    )
    r = run([sys.executable, "-X", "faulthandler", "-c", code])
    assert r.returncode == 0, r.stderr[-3000:]
    assert "finished True -1" in r.stdout and "took True" in r.stdout
    assert r.stderr.count("IncompleteProfileWarning") == 1
    assert "sampling stopped early (out of memory)" in r.stderr or "sampling stopped early" in r.stderr


def test_no_warning_without_failure():
    code = (
        "import warnings, pyrometer\nwarnings.simplefilter('error')\nwith pyrometer.trace() as t:\n    sum(range(9))\n"
    )
    r = run([sys.executable, "-c", code])
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_sampler_calls_from_many_threads():
    """start, stop, sample and take from several threads at once: each waits
    for the core with the GIL released (and a free-threaded build may have no
    GIL), so the object serializes them itself. Before, two stops at once
    joined the sampling thread twice."""
    code = textwrap.dedent(
        """
        import sys, threading
        from pyrometer import _core
        try:
            s = _core.Sampler(rate=5000)
        except (_core.UnsupportedPythonError, _core.NotPythonError) as e:
            print("unsupported", e)
            sys.exit(0)
        go = threading.Event()
        def hammer(k):
            go.wait()
            for i in range(150):
                op = (i + k) % 4
                if op == 0:
                    s.start()
                elif op == 1:
                    s.stop(warn=False)
                elif op == 2:
                    s.take()
                else:
                    try:
                        s.sample()
                    except RuntimeError:
                        pass
        threads = [threading.Thread(target=hammer, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        s.stop()
        print("done", s.take() is not None)
        """
    )
    r = run([sys.executable, "-X", "faulthandler", "-c", code], timeout=120)
    if r.stdout.startswith("unsupported"):
        pytest.skip(f"in-process sampling: {r.stdout.strip()}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "done True" in r.stdout
