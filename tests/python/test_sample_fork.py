"""Sample mode and os.fork(): Python 3.12+ warns ("This process is
multi-threaded, use of fork() may lead to deadlocks") when a process forks
with other threads, and the sampling thread is one the program did not
start. It is stopped around each fork and started again in the parent after
os.fork() returned: the program forks as under python, with no warning,
and is sampled after its forks as before them."""

from __future__ import annotations

from conftest import pyro

from pyrometer import _core

PROG = """\
import os, sys, time


def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def before():
    spin(0.1)


def after():
    spin(0.2)


before()
for i in range(3):
    pid = os.fork()
    if pid == 0:
        print("child", flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
after()
print("done")
"""


def test_fork_in_sample_mode_no_warning_and_sampled_after(tmp_path):
    (tmp_path / "prog.py").write_text(PROG)
    r = pyro("run", "-o", "s.pyro", "prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "child\n" * 3 + "done\n"
    assert "DeprecationWarning" not in r.stderr and "multi-threaded" not in r.stderr, r.stderr
    assert r.stderr == "pyrometer: wrote s.pyro\n"  # once: the parent's
    total = {f[0]: f[5] for f in _core.Profile.load(str(tmp_path / "s.pyro")).functions()}
    assert total.get("before", 0) > 0 and total.get("after", 0) > 0, total  # sampled again after the forks
