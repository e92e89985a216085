"""Free-threaded builds (3.13t and later): importing pyrometer leaves the GIL
off; exact tracing, which needs the GIL, is refused in one line (status 8)
while the GIL is off and works with PYTHON_GIL=1; profiles shared by threads
running without the GIL stay whole.

On a build with a GIL every test here is skipped: ./scripts/test runs this
file on each free-threaded CPython that pyenv has (3.14t, ...). Each child
is given PYTHON_GIL explicitly (unset, 0 or 1), whatever the test run has.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import sysconfig
import textwrap

import pytest
from conftest import PYRO_MODULE, target
from test_exact import compare, load

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
pytestmark = pytest.mark.skipif(
    not FREE_THREADED, reason=f"CPython {platform.python_version()} is not a free-threaded build"
)


def child(cmd: list[str], gil: str | None, cwd=None) -> subprocess.CompletedProcess:
    """Run `cmd` with PYTHON_GIL set to `gil` (None: unset, the build's default)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "NO_COLOR")}
    if gil is not None:
        env["PYTHON_GIL"] = gil
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_import_leaves_the_gil_off():
    """The extension declares Py_mod_gil: importing it (and everything a run
    imports) neither turns the GIL on nor warns that it did."""
    code = "import sys, pyrometer, pyrometer._core, pyrometer.api, pyrometer.cli; print(sys._is_gil_enabled())"
    r = child([sys.executable, "-W", "error", "-c", code], gil=None)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "False\n" and r.stderr == ""


@pytest.mark.parametrize("gil", [None, "0"])
def test_trace_without_the_gil_is_refused(tmp_path, gil):
    """One line that says why and what to do, status 8, before the program
    runs; no profile file."""
    out = tmp_path / "t.prof"
    r = child([*PYRO_MODULE, "run", "--mode", "trace", "-o", str(out), target("fibrec.py"), "10"], gil=gil)
    assert r.returncode == 8, r.stderr
    assert r.stdout == ""  # the program did not run
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("pyrometer: exact tracing needs the GIL") and "PYTHON_GIL=1" in lines[0]
    assert not out.exists()


def test_api_without_the_gil_raises():
    code = textwrap.dedent(
        """
        import pyrometer
        try:
            with pyrometer.trace():
                pass
        except pyrometer.GILRequiredError as e:
            print("refused:", e)
        """
    )
    r = child([sys.executable, "-c", code], gil="0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("refused: exact tracing needs the GIL") and "PYTHON_GIL=1" in r.stdout


@pytest.mark.parametrize("backend", ["auto", "monitoring", "frame"])
@pytest.mark.parametrize("name,args", [("fibrec.py", ["15"]), ("gens.py", []), ("threads.py", [])])
def test_trace_with_the_gil_matches_cprofile(tmp_path, name, args, backend):
    """PYTHON_GIL=1: every hook works as on a build with a GIL."""
    theirs_path, ours_path = tmp_path / "c.prof", tmp_path / "p.prof"
    c = child([sys.executable, "-m", "cProfile", "-o", str(theirs_path), target(name), *args], gil="1")
    assert c.returncode == 0, c.stderr
    cmd = [*PYRO_MODULE, "run", "--mode", "trace", "--backend", backend, "-o", str(ours_path), target(name), *args]
    p = child(cmd, gil="1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == c.stdout
    threads = name == "threads.py"  # cProfile 3.12+ puts every thread on one stack: totals only
    compare(load(theirs_path), load(ours_path), target(name), primitive=not threads, edges=not threads)


def test_a_profile_shared_by_threads_without_the_gil(tmp_path):
    """Rendering and set_meta from eight threads at once on one profile, with
    the GIL off: every entry point holds the profile's critical section, so
    nothing crashes and every key set is there afterwards (without the
    sections, a render read the string table set_meta had just moved: a
    segmentation fault)."""
    saved = tmp_path / "g.pyro"
    r = child([*PYRO_MODULE, "run", "--mode", "trace", "-o", str(saved), target("gens.py")], gil="1")
    assert r.returncode == 0, r.stderr
    code = textwrap.dedent(
        f"""
        import sys, threading
        from pyrometer import _core
        assert not sys._is_gil_enabled()
        p = _core.Profile.load({str(saved)!r})
        go = threading.Event()
        done = threading.Event()
        def reader():
            go.wait()
            while not done.is_set():
                assert p.render("table")
                p.counts, p.threads, p.functions()
        def writer(k):
            go.wait()
            for i in range(200):
                # large values: the string table grows by reallocations that
                # move it (unmapping the old block) while readers use it
                p.set_meta(f"k{{k}}.{{i}}", str(i) * 20000)
        readers = [threading.Thread(target=reader) for _ in range(4)]
        writers = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in readers + writers:
            t.start()
        go.set()
        for t in writers:
            t.join()
        done.set()
        for t in readers:
            t.join()
        meta = p.meta
        print(sum(1 for k in meta if k.startswith("k")), sys._is_gil_enabled())
        """
    )
    r = child([sys.executable, "-X", "faulthandler", "-c", code], gil="0")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout == "800 False\n"
