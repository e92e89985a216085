"""The Python API: context manager, decorator, Profile, pstats integration."""

from __future__ import annotations

import io
import marshal
import pstats
import sys
import threading

import pytest
from conftest import mentions_pyrometer_code, run

import pyrometer
from pyrometer import _core


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def rows(profile) -> dict:
    """{function name: (primitive calls, total calls)} for functions of this file."""
    stats = marshal.loads(profile.render("pstats"))
    return {k[2]: (v[0], v[1]) for k, v in stats.items() if k[0] == __file__}


def test_context_manager_counts():
    with pyrometer.trace() as t:
        fib(15)
    assert rows(t.profile)["fib"] == (1, 1973)
    # nothing of pyrometer's own shows up
    stats = marshal.loads(t.profile.render("pstats"))
    assert not [k for k in stats if mentions_pyrometer_code(k[0]) or "Tracer" in k[2]]
    assert t.profile.meta["mode"] == "trace" and t.profile.meta["clock"] == "wall"


def test_exception_propagates_and_profile_kept():
    t = pyrometer.Trace()
    with pytest.raises(ZeroDivisionError), t:
        fib(5)
        1 / 0  # noqa: B018
    assert rows(t.profile)["fib"] == (1, 15)


def test_pstats_integration():
    with pyrometer.trace() as t:
        fib(10)
    st = pstats.Stats(t.profile)
    out = io.StringIO()
    st.stream = out
    st.sort_stats("cumulative").print_stats(5)
    st.print_callers("fib")
    text = out.getvalue()
    assert "177 function calls" in text or "function calls" in text
    assert "fib" in text
    assert t.pstats().total_calls == st.total_calls


def test_save_and_load_roundtrip(tmp_path):
    with pyrometer.trace() as t:
        fib(8)
    t.save(str(tmp_path / "a.pyro"))
    t.save(str(tmp_path / "a.prof"))
    again = pyrometer.Profile.load(str(tmp_path / "a.pyro"))
    assert rows(again) == rows(t.profile)
    assert again.render("tree") == t.profile.render("tree")
    assert pstats.Stats(str(tmp_path / "a.prof")).total_calls == pstats.Stats(t.profile).total_calls


def test_only_one_tracer_at_a_time():
    with pyrometer.trace(), pytest.raises(RuntimeError, match="another pyrometer tracer"):
        pyrometer.Trace().__enter__()


def test_restart_accumulates():
    t = pyrometer.Trace()
    for _ in range(3):
        with t:
            fib(4)
    assert rows(t.profile)["fib"] == (3, 27)


def test_threads_started_inside_are_traced():
    def work():
        fib(6)

    with pyrometer.trace() as t:
        th = [threading.Thread(target=work) for _ in range(2)]
        for x in th:
            x.start()
        for x in th:
            x.join()
    assert rows(t.profile)["fib"][1] == 2 * 25
    assert t.profile._core.counts["threads"] >= 3


def test_thread_running_before_start_is_traced():
    go, done = threading.Event(), threading.Event()

    def work():
        go.wait()
        fib(7)
        done.set()

    th = threading.Thread(target=work)
    th.start()
    with pyrometer.trace() as t:
        go.set()
        done.wait()
    th.join()
    assert rows(t.profile)["fib"][1] == 41


def test_profiler_memory_is_bounded_by_paths_not_calls():
    with pyrometer.trace() as t:
        for _ in range(200000):
            abs(-1)
    counts = t.profile._core.counts
    assert counts["calls"] >= 200000
    assert counts["nodes"] < 10 and counts["functions"] < 10


def test_decorator_reports_at_exit(tmp_path):
    prog = tmp_path / "deco.py"
    prog.write_text(
        "import pyrometer\n"
        "@pyrometer.trace\n"
        "def work(n):\n"
        "    return sum(i * i for i in range(n))\n"
        "for _ in range(3):\n"
        "    work(1000)\n"
        "print('done', work.__name__)\n"
    )
    r = run([sys.executable, str(prog)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done work\n"
    assert "function calls" in r.stderr and "deco.py:2(work)" in r.stderr.replace(str(tmp_path) + "/", "")
    assert "      3    " in r.stderr  # work called 3 times


def test_decorator_with_output(tmp_path):
    prog = tmp_path / "deco2.py"
    out = tmp_path / "deco2.prof"
    prog.write_text(
        f"import pyrometer\n@pyrometer.trace(output={str(out)!r})\ndef work(n):\n    return n + 1\nwork(1); work(2)\n"
    )
    r = run([sys.executable, str(prog)])
    assert r.returncode == 0 and r.stderr == ""
    st = pstats.Stats(str(out)).stats
    assert [v[1] for k, v in st.items() if k[2] == "work"] == [2]


def test_cpu_clock_api():
    import time

    with pyrometer.trace(clock="cpu") as t:
        time.sleep(0.2)
    stats = marshal.loads(t.profile.render("pstats"))
    sleep = [v for k, v in stats.items() if "sleep" in k[2]]
    assert sleep and sleep[0][3] < 0.05


def test_bad_arguments():
    with pytest.raises(ValueError):
        pyrometer.Trace(clock="sundial")
    with pyrometer.trace() as t:
        pass
    with pytest.raises(ValueError, match="unknown format"):
        t.profile.render("svgz")
    with pytest.raises(ValueError, match="sort"):
        t.profile.render("table", sort="nope")
    with pytest.raises(TypeError):
        _core.Profile()
    with pytest.raises(pyrometer.ProfileError):
        _core.Profile.loads(b"\x89PYRO\r\n\x1a" + b"\0" * 20)
