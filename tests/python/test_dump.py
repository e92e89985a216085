"""`pyrometer dump`: every thread's stack read from another process's memory,
checked against the target's own view of its stacks, for targets running
every installed CPython (pyrometer itself runs on the test's Python)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time

import pytest
from conftest import TARGETS, pyro

PYENV_ROOT = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() or os.path.expanduser(
    "~/.pyenv"
)


def interpreters():
    found = []
    for v in ("3.9", "3.10", "3.11", "3.12", "3.13"):
        paths = sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", v + ".*", "bin", "python" + v)))
        if paths:
            found.append(pytest.param(paths[-1], id=v))
    return found or [pytest.param(sys.executable, id="self")]


@pytest.fixture
def parked(request):
    """A target parked at known places; yields (process, its ground truth)."""
    python = request.param
    p = subprocess.Popen([python, str(TARGETS / "parked.py")], stdout=subprocess.PIPE, text=True)
    try:
        truth = json.loads(p.stdout.readline())
        # the thread that printed the truth ends on its own; a busy machine
        # may not have run it to its end yet (it would be seen running)
        deadline = time.monotonic() + 60
        while len(os.listdir(f"/proc/{p.pid}/task")) > len(truth["names"]) - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        yield p, truth
    finally:
        p.kill()
        p.wait()


def _traced_state(pid: int) -> tuple:
    """(TracerPid, the run state letter of every thread) of process `pid`."""
    with open(f"/proc/{pid}/status") as f:
        tracer = next(int(line.split()[1]) for line in f if line.startswith("TracerPid:"))
    states = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            states.append(f.read().rsplit(")", 1)[1].split()[0])
    return tracer, states


@pytest.mark.parametrize("blocking", [False, True], ids=["running", "blocking"])
@pytest.mark.parametrize("parked", interpreters(), indirect=True)
def test_dump_matches_the_targets_own_stacks(parked, blocking):
    """Read as it runs, or with its threads stopped (--blocking): the same
    stacks, the run states from before the stop, and a blocking dump leaves
    the process untraced, with no thread stopped."""
    p, truth = parked
    r = pyro("dump", "--json", str(p.pid), *(["--blocking"] if blocking else []))
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["pid"] == p.pid
    threads = {str(t["ident"]): t for t in d["threads"]}
    assert set(truth["stacks"]) <= set(threads)
    for ident, stack in truth["stacks"].items():
        got = [[f["name"], f["line"]] for f in threads[ident]["frames"]]
        assert got == stack, (truth["names"].get(ident), got, stack)
        assert threads[ident]["truncated"] is False
    # names come from threading._active in the target's memory
    for ident, name in truth["names"].items():
        if ident in threads:
            assert threads[ident]["name"] == name
    assert {"waiter", "sleeper", "generator", "pärker-ünïcode", "dict-made"} <= {t["name"] for t in d["threads"]}
    main = next(t for t in d["threads"] if t["name"] == "MainThread")
    assert main["native_id"] == p.pid and main["frames"][-1]["name"] == "<module>"
    assert main["frames"][0]["file"].endswith("parked.py") or main["frames"][0]["name"] == "sleep"
    # every thread is blocked: none runs, and the OS thread ids are real
    for t in d["threads"]:
        assert t["running"] is False
        assert os.path.exists(f"/proc/{p.pid}/task/{t['native_id']}")
    tracer, states = _traced_state(p.pid)
    assert tracer == 0 and not {"t", "T"} & set(states), (tracer, states)


@pytest.mark.parametrize("parked", interpreters()[-1:], indirect=True)
def test_dump_text(parked):
    p, _truth = parked
    r = pyro("dump", str(p.pid))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Process {p.pid}: ")
    assert '"MainThread" (idle)' in r.stdout and '"pärker-ünïcode" (idle)' in r.stdout
    assert ("waiting_leaf (" in r.stdout and "Worker.sleeper (" in r.stdout) or "sleeper (" in r.stdout
    assert "\033[" not in r.stdout
    r = pyro("dump", "--color", "always", str(p.pid))
    assert "\033[" in r.stdout


def test_dump_no_such_process():
    r = pyro("dump", "999999999")
    assert r.returncode == 5 and "no process with id" in r.stderr and r.stderr.count("\n") == 1


def test_dump_not_python():
    p = subprocess.Popen(["sleep", "60"])
    try:
        r = pyro("dump", str(p.pid))
        assert r.returncode == 7 and "not running CPython" in r.stderr and r.stderr.count("\n") == 1
    finally:
        p.kill()
        p.wait()


def test_dump_bad_pid():
    assert pyro("dump", "abc").returncode == 2
    assert pyro("dump", "-5").returncode == 2


def _drop_ptrace_capability():
    """In the child: lose CAP_SYS_PTRACE for good (bounding set), keep root."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP, CAP_SYS_PTRACE = 24, 19
    if libc.prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_dump_not_permitted(tmp_path):
    """Reading a process of another user without CAP_SYS_PTRACE is refused,
    with what to change."""
    p = None
    if os.geteuid() != 0:
        target, pre = "1", None  # a normal user may not read init
    else:
        # root reads anything; so: a Python process of user nobody, read by a
        # root without CAP_SYS_PTRACE (Debian's python3 is runnable by nobody)
        system_python = "/usr/bin/python3"
        if not os.access(system_python, os.X_OK):
            pytest.skip("no /usr/bin/python3 to run a process as another user")

        def as_nobody():
            os.setgid(65534)
            os.setuid(65534)

        p = subprocess.Popen(
            [system_python, "-c", "import time; print(1, flush=True); time.sleep(60)"],
            preexec_fn=as_nobody,  # noqa: PLW1509 (the test process has no other thread)
            stdout=subprocess.PIPE,
            cwd="/",
        )
        p.stdout.readline()
        target, pre = str(p.pid), _drop_ptrace_capability
    try:
        r = subprocess.run(
            [sys.executable, "-m", "pyrometer", "dump", target], capture_output=True, text=True, preexec_fn=pre
        )
        assert r.returncode == 6, (r.returncode, r.stderr)
        assert "not permitted to read process" in r.stderr and r.stderr.count("\n") == 1
        assert "same user" in r.stderr and "SYS_PTRACE" in r.stderr
    finally:
        if p:
            p.kill()
            p.wait()
