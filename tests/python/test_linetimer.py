"""_core.LineTimer, the exact line-timing engine, on small functions: hits per
line, time per line (lower bounds only: never wall-clock upper bounds),
recursion, generators, exceptions, threads, choosing code while running and
through a matcher, code that is not chosen left alone, other tracers, and no
hook left behind by stop().

Line numbers are taken relative to each function's first line, so that
editing this file does not break the tests.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time
import warnings

import pytest

from pyrometer import _core

MONITORING = sys.version_info >= (3, 12)
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def rows_of(lt: _core.LineTimer) -> dict:
    """{(thread index, qualname): {"calls": n, "total": ns, "first": line,
    "lines": {line offset from the first line: (hits, ns)}}} from the timer's
    profile."""
    out: dict = {}
    for thread, _tname, qual, _file, first, line, calls, hits, ns in lt._rows():
        f = out.setdefault((thread, qual), {"calls": 0, "total": 0, "first": first, "lines": {}})
        if line == 0:
            f["calls"] += calls
            f["total"] += ns
        else:
            f["lines"][line - first] = (hits, ns)
    return out


def merged(lt: _core.LineTimer, qual: str) -> dict:
    """The function `qual` over all threads: calls, total and per line. Before
    3.11 code objects have no qualified name: there the last part counts."""
    res: dict = {"calls": 0, "total": 0, "lines": {}}
    for (_t, q), f in rows_of(lt).items():
        if q != qual and (sys.version_info >= (3, 11) or q != qual.rsplit(".", 1)[-1]):
            continue
        res["calls"] += f["calls"]
        res["total"] += f["total"]
        for off, (h, ns) in f["lines"].items():
            h0, ns0 = res["lines"].get(off, (0, 0))
            res["lines"][off] = (h0 + h, ns0 + ns)
    return res


def hits(f: dict) -> dict:
    """{line offset: hits} of the lines that ran."""
    return {off: h for off, (h, _ns) in f["lines"].items() if h}


def timed(*funcs, matcher=None):
    """A started LineTimer with `funcs` chosen."""
    lt = _core.LineTimer()
    for fn in funcs:
        assert lt.add_code(fn.__code__) is True
    if matcher is not None:
        lt.set_matcher(matcher)
    lt.start()
    return lt


def no_hook_left(lt: _core.LineTimer) -> None:
    assert not lt.running
    if MONITORING:
        assert all(sys.monitoring.get_tool(i) != "pyrometer" for i in range(6))
    else:
        assert sys.gettrace() is None
        assert threading._trace_hook is None  # type: ignore[attr-defined]


# ==== the functions timed (offsets from their first line in comments) ====


def loop10():
    s = 0  # +1
    for i in range(10):  # +2
        s += i  # +3
    return s  # +4


def sleeper():
    x = 1  # +1
    time.sleep(0.05)  # +2
    return x  # +3


def rec(n):
    if n == 0:  # +1
        return 0  # +2
    return rec(n - 1) + sum(range(200))  # +3


def gen3():
    for i in range(3):  # +1
        yield i * 2  # +2
    return  # +3


def inner():
    x = 1  # +1
    raise ValueError(x)  # +2


def outer():
    try:  # +1
        inner()  # +2
    except ValueError:  # +3
        y = 2  # +4
    return y  # +5


def spin(n):
    t = 0  # +1
    for i in range(n):  # +2
        t += i  # +3
    return t  # +4


def not_chosen():
    return sys._getframe()


def trace_function_inside():
    return sys.gettrace()


# ==== semantics ====


def test_loop_hits_and_times_add_up():
    lt = timed(loop10)
    loop10()
    loop10()
    lt.stop()
    f = merged(lt, "loop10")
    assert f["calls"] == 2
    assert hits(f) == {1: 2, 2: 22, 3: 20, 4: 2}
    assert f["total"] == sum(ns for _h, ns in f["lines"].values())
    assert all(ns > 0 for off, (_h, ns) in f["lines"].items() if off in (1, 2, 3, 4))


def test_sleep_line_gets_its_sleep():
    lt = timed(sleeper)
    sleeper()
    sleeper()
    lt.stop()
    f = merged(lt, "sleeper")
    h, ns = f["lines"][2]
    assert h == 2
    assert ns / h >= 0.05e9 * 0.99  # a lower bound only (tick calibration: 1%)


def test_recursion_not_counted_twice():
    lt = timed(rec)
    t0 = time.perf_counter_ns()
    rec(30)
    wall = time.perf_counter_ns() - t0
    time.sleep(0.11)  # ticks to ns at the rate measured over a session of 0.1 s or more
    lt.stop()
    f = merged(lt, "rec")
    assert f["calls"] == 31
    assert hits(f) == {1: 31, 2: 1, 3: 30}
    assert f["total"] <= wall
    assert f["total"] == sum(ns for _h, ns in f["lines"].values())


def test_generator_yields_close_the_line():
    lt = timed(gen3)
    g = gen3()
    inside = 0  # wall time spent in the generator
    for _ in range(4):
        t0 = time.perf_counter_ns()
        next(g, None)
        inside += time.perf_counter_ns() - t0
        time.sleep(0.04)  # the consumer's time is not the generator's
    lt.stop()  # a session over 0.1 s: ticks to ns at the rate measured over it
    f = merged(lt, "gen3")
    assert f["calls"] == 1
    assert hits(f) == {1: 4, 2: 3, 3: 1}
    assert f["total"] <= inside * 1.01


def test_exception_through_chosen_frames():
    lt = timed(inner, outer)
    assert outer() == 2
    with pytest.raises(ValueError):
        inner()  # out of a chosen frame into unchosen code
    assert outer() == 2  # the stack is whole afterwards
    lt.stop()
    o, i = merged(lt, "outer"), merged(lt, "inner")
    assert o["calls"] == 2 and i["calls"] == 3
    assert hits(i) == {1: 3, 2: 3}
    assert hits(o)[2] == 2 and hits(o)[4] == 2 and hits(o)[5] == 2
    assert o["lines"][2][1] >= i["total"] * 2 // 3  # outer's call line includes inner


def test_thread_running_a_chosen_function():
    ready, go = threading.Event(), threading.Event()

    def early():  # started before the timer: adopted by its first event
        ready.set()
        go.wait()
        spin(100)

    t1 = threading.Thread(target=early, name="early")
    t1.start()
    ready.wait()
    lt = timed(spin)
    t2 = threading.Thread(target=spin, args=(50,), name="late")
    t2.start()
    t2.join()
    go.set()
    t1.join()
    spin(10)
    lt.stop()
    names = {r[1] for r in lt._rows()}
    assert {"late", "early"} <= names
    f = merged(lt, "spin")
    assert f["calls"] == 3
    assert hits(f)[3] == 160
    no_hook_left(lt)


def test_add_code_while_running():
    lt = _core.LineTimer()
    lt.start()

    def grows():
        a = 0  # +1
        lt.add_code(grows.__code__)  # +2
        a += 1  # +3
        return a  # +4

    grows()  # chosen while it runs: timed from its next line, no call
    grows()
    lt.stop()
    f = merged(lt, "test_add_code_while_running.<locals>.grows")
    assert f["calls"] == 1
    assert hits(f) == {1: 1, 2: 1, 3: 2, 4: 2}
    assert lt.chosen == (grows.__code__,)


def test_matcher_called_once_per_code_and_chooses():
    asked = []

    def m_a():
        return 1  # +1

    def m_b():
        return 2  # +1

    def other():
        return 3

    def matcher(code):
        asked.append(code)
        return code.co_name.startswith("m_")

    lt = timed(matcher=matcher)
    for _ in range(3):
        m_a(), m_b(), other()
    lt.stop()
    assert sorted(c.co_name for c in asked if c.co_name in ("m_a", "m_b", "other")) == ["m_a", "m_b", "other"]
    assert len(asked) == len({id(c) for c in asked})  # once per code object
    assert set(lt.chosen) == {m_a.__code__, m_b.__code__}
    for name in ("m_a", "m_b"):
        f = merged(lt, f"test_matcher_called_once_per_code_and_chooses.<locals>.{name}")
        assert f["calls"] == 3  # the very call that chose it is timed
        assert hits(f) == {1: 3}


def test_matcher_set_while_running_and_rejected_code_added_later():
    def m_c():
        return 1  # +1

    def m_d():
        return 2  # +1

    lt = timed()
    m_c()  # no matcher yet: not asked
    lt.set_matcher(lambda code: code.co_name == "m_c")
    m_c(), m_d()  # m_d: asked, refused
    lt.add_code(m_d.__code__)  # refused before, chosen now: its starts count again
    m_c(), m_d()
    lt.set_matcher(None)
    m_c(), m_d()
    lt.stop()
    assert merged(lt, "test_matcher_set_while_running_and_rejected_code_added_later.<locals>.m_c")["calls"] == 3
    d = merged(lt, "test_matcher_set_while_running_and_rejected_code_added_later.<locals>.m_d")
    assert d["calls"] == 2 and hits(d) == {1: 2}


async def coro(n):
    import asyncio  # +1

    for _ in range(n):  # +3
        await asyncio.sleep(0)  # +4
    return n  # +5


def test_coroutine_counts_one_call():
    import asyncio

    lt = timed(coro)
    asyncio.run(coro(3))
    lt.stop()
    f = merged(lt, "coro")
    assert f["calls"] == 1
    assert hits(f) == {1: 1, 3: 4, 4: 3, 5: 1}


def test_matcher_error_counts_as_no_and_hide():
    def boom(code):
        raise KeyError("matcher")

    def victim():
        return 1

    seen = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(u.exc_type)
    try:
        lt = timed(matcher=boom)
        victim()
        lt.stop()
    finally:
        sys.unraisablehook = old
    assert KeyError in seen
    assert lt.chosen == ()
    lt2 = _core.LineTimer()
    lt2.hide(victim)
    assert lt2.add_code(victim.__code__) is False
    lt2.set_matcher(lambda code: True)
    lt2.start()
    victim()
    lt2.stop()
    assert victim.__code__ not in lt2.chosen


def test_unchosen_code_is_left_alone():
    lt = timed(loop10)
    not_chosen()
    inside = trace_function_inside()
    loop10()
    if MONITORING:
        tool = next(i for i in range(6) if sys.monitoring.get_tool(i) == "pyrometer")
        assert sys.monitoring.get_local_events(tool, not_chosen.__code__) == 0
        assert sys.monitoring.get_local_events(tool, loop10.__code__) != 0
    else:
        # 3.9-3.11: no trace function at all while a frame of unchosen code
        # runs (the evaluator's tracing path would slow all of it down)
        assert inside is None
    lt.stop()
    assert all(q != "not_chosen" for (_t, q) in rows_of(lt))
    if MONITORING:
        assert sys.monitoring.get_tool(tool) is None


def test_never_called_function_has_a_root():
    lt = timed(loop10, sleeper)
    loop10()
    lt.stop()
    f = merged(lt, "sleeper")
    assert f["calls"] == 0 and f["total"] == 0
    assert set(f["lines"]) >= {1, 2, 3} and hits(f) == {}


# ==== other tracers ====


def test_second_line_timer_refused():
    lt = timed(loop10)
    try:
        other = _core.LineTimer()
        with pytest.raises(RuntimeError, match="another LineTimer is running"):
            other.start()
        with pytest.raises(RuntimeError, match="already running"):
            lt.start()
    finally:
        lt.stop()
    no_hook_left(lt)


def test_cprofile_coexists():
    prof = cProfile.Profile()
    lt = timed(loop10)
    prof.enable()
    try:
        loop10()
    finally:
        prof.disable()
        lt.stop()
    assert hits(merged(lt, "loop10")) == {1: 1, 2: 11, 3: 10, 4: 1}
    assert any(k[2] == "loop10" for k in pstats.Stats(prof).stats)  # type: ignore[attr-defined]
    no_hook_left(lt)


@pytest.mark.skipif(MONITORING, reason="the legacy hook only")
def test_tracer_started_first_line_timer_falls_back():
    # the Tracer's eval-frame hook (3.9-3.11 without builtins) leaves no room
    # for the LineTimer's gate: the trace function then stays on everywhere
    # and unchosen frames only have their line events turned off
    tracer = _core.Tracer(builtins=False)
    tracer.start()
    try:
        lt = timed(loop10)
        try:
            frame = not_chosen()
            loop10()
        finally:
            lt.stop()
    finally:
        tracer.stop()
    assert frame.f_trace_lines is False
    assert hits(merged(lt, "loop10")) == {1: 1, 2: 11, 3: 10, 4: 1}
    assert any(f[0] == "loop10" for f in tracer.profile().functions())
    no_hook_left(lt)


def test_tracer_coexists():
    tracer = _core.Tracer()
    lt = timed(loop10)
    tracer.start()
    try:
        loop10()
    finally:
        tracer.stop()
        lt.stop()
    assert hits(merged(lt, "loop10")) == {1: 1, 2: 11, 3: 10, 4: 1}
    assert any(f[0] == "loop10" for f in tracer.profile().functions())
    no_hook_left(lt)


@pytest.mark.skipif(MONITORING, reason="sys.settrace is PEP 669's on 3.12+, no conflict there")
def test_settrace_of_another_tool_refused():
    sys.settrace(lambda *a: None)
    try:
        with pytest.raises(RuntimeError, match="another tracer is active"):
            _core.LineTimer().start()
    finally:
        sys.settrace(None)


@pytest.mark.skipif(MONITORING, reason="the legacy hook only")
def test_program_replacing_the_hook_is_noticed():
    lt = timed(loop10)
    sys.settrace(lambda *a: None)
    lt.stop()
    sys.settrace(None)
    assert lt.hook_lost


# ==== lifecycle ====


def test_running_timer_dropped_without_stop_does_not_crash():
    # 3.9-3.11: while only unchosen code runs no trace function holds the
    # timer; the gate must (a child: a use after free would crash)
    code = textwrap.dedent(
        """
        import gc
        from pyrometer import _core
        def f():
            return 1
        def g():
            return sum(i for i in range(100))
        lt = _core.LineTimer()
        lt.add_code(f.__code__)
        lt.start()
        del lt
        gc.collect()
        junk = [bytearray(64) for _ in range(10000)]
        for _ in range(1000):
            g()
        f()
        print("ok")
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_stop_leaves_no_hook_and_records_nothing_after():
    lt = timed(loop10)
    loop10()
    lt.stop()
    lt.stop()  # harmless
    no_hook_left(lt)
    loop10()
    assert merged(lt, "loop10")["calls"] == 1
    lt.start()  # a second session adds to the first
    loop10()
    lt.stop()
    assert merged(lt, "loop10")["calls"] == 2
    no_hook_left(lt)


def test_profile_metadata_and_state_errors():
    lt = timed(loop10)
    with pytest.raises(RuntimeError, match="stop the LineTimer"):
        lt.profile()
    loop10()
    lt.stop()
    p = lt.profile()
    meta = p.meta
    assert meta["mode"] == "lines" and meta["clock"] == "wall" and meta["complete"] == "yes"
    assert meta["backend"] == ("monitoring" if MONITORING else "settrace")
    with pytest.raises(TypeError):
        lt.add_code(loop10)  # a function, not its code
    with pytest.raises(TypeError):
        lt.set_matcher(3)
    with pytest.raises(RuntimeError, match="running"):
        lt.exec_code(compile("1", "x", "exec"), {})


def test_exec_code_and_pause_thread():
    src = textwrap.dedent(
        """
        def prog():
            a = 1
            return a
        lt.add_code(prog.__code__)
        prog()
        lt.pause_thread()
        prog()
        """
    )
    lt = _core.LineTimer()
    lt.start()
    lt.exec_code(compile(src, "<prog>", "exec"), {"lt": lt, "__builtins__": __builtins__})
    lt.stop()
    f = merged(lt, "prog")
    assert f["calls"] == 1 and hits(f) == {1: 1, 2: 1}


def test_floor_installs_hooks_and_counts_nothing():
    lt = _core.LineTimer(_floor=True)
    lt.add_code(loop10.__code__)
    lt.start()
    loop10()
    lt.stop()
    f = merged(lt, "loop10")
    assert f["calls"] == 0 and hits(f) == {}
    no_hook_left(lt)


def test_out_of_memory_is_incomplete_and_warned():
    lt = timed(loop10, sleeper)
    _core._fail_allocations(0)
    try:
        loop10()  # its counters cannot be allocated: dropped
    finally:
        failed = _core._fail_allocations(None)
    sleeper()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lt.stop()
    assert failed > 0 and lt.incomplete
    assert [x.category for x in w] == [_core.IncompleteProfileWarning]
    assert lt.profile().meta["complete"] == "no"
    assert merged(lt, "sleeper")["calls"] == 1


@pytest.mark.skipif(not FREE_THREADED, reason="a free-threaded build only")
def test_without_the_gil_refused():
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    env["PYTHON_GIL"] = "0"
    code = (
        "from pyrometer import _core\n"
        "try:\n    _core.LineTimer()\nexcept _core.GILRequiredError as e:\n    print('refused:', e)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("refused:") and "PYTHON_GIL=1" in r.stdout
