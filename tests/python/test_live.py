"""`attach` and `top` end on SIGTERM and SIGHUP as on Ctrl-C (the profile is
written, the program started by `top` is stopped), `top`'s views switch
every column, and `top | head` ends quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import PYRO_MODULE, target


class FakeProfile:
    """What View.update reads of a refresh: threads, and per clock and
    thread (index, -1 = all) the rows (name, qualname, file, line, own, total)."""

    def __init__(self, rows: dict[tuple[str, int], list[tuple[str, float, float]]], meta: dict | None = None) -> None:
        self.meta = {"target_python": "3.13.0"} if meta is None else meta
        self.threads = [
            {"ident": 1, "native_id": 11, "name": "MainThread", "samples": 10, "running": 5, "gil": 5},
            {"ident": 2, "native_id": 12, "name": "worker", "samples": 10, "running": 5, "gil": 5},
        ]
        self.rows = rows

    def functions(self, clock: str = "wall", thread: int = -1) -> list[tuple[str, str, str, int, float, float]]:
        return [(q, q, "/app.py", 1, own, total) for q, own, total in self.rows.get((clock, thread), [])]


def _row(lines: list[str], name: str) -> list[str]:
    return next(line for line in lines if f" {name} (" in line).split()


def test_top_views_switch_every_column():
    """Own and total times since the start are those of the clock and the
    thread shown: switching either switches them too, not only the shares."""
    from pyrometer.top import View

    refresh = FakeProfile(
        {
            ("wall", -1): [("sleep", 2.0, 2.0), ("spin", 1.0, 1.0)],
            ("cpu", -1): [("spin", 0.5, 0.5)],
            ("wall", 0): [("sleep", 2.0, 2.0)],
            ("cpu", 0): [],
            ("wall", 1): [("spin", 1.0, 1.0)],
            ("cpu", 1): [("spin", 0.5, 0.5)],
        }
    )
    view = View()
    for _ in range(3):
        view.update(refresh, 1.0)
    wall = view.lines(200, 40, [])
    assert _row(wall, "sleep")[2:4] == ["6.00s", "6.00s"] and _row(wall, "spin")[2:4] == ["3.00s", "3.00s"]
    view.clock = "cpu"
    cpu = view.lines(200, 40, [])
    assert _row(cpu, "spin")[:4] == ["100.0%", "100.0%", "1.50s", "1.50s"]
    assert not any(" sleep (" in line for line in cpu)  # no CPU time at all
    view.clock, view.thread = "wall", 1  # the worker thread (native id 12)
    worker = view.lines(200, 40, [])
    assert _row(worker, "spin")[:4] == ["100.0%", "100.0%", "3.00s", "3.00s"]
    assert not any(" sleep (" in line for line in worker)
    view.thread = 0
    assert _row(view.lines(200, 40, []), "sleep")[:4] == ["100.0%", "100.0%", "6.00s", "6.00s"]


@pytest.mark.parametrize(
    "meta,says,never",
    [
        ({"target_python": "3.15.0rc1"}, ["Python 3.15.0rc1,", "50% on-CPU, 50% GIL"], []),
        (
            {"target_python": "3.14.7t", "target_gil": "none unless enabled (free-threaded build)"},
            ["Python 3.14.7t,", "MainThread: 50% on-CPU;"],
            ["GIL"],
        ),
    ],
    ids=["default-build", "free-threaded"],
)
def test_top_header_names_the_target_and_claims_no_gil_it_lacks(meta, says, never):
    """top's header names the target's Python as the sampler does; on a
    free-threaded target it shows no GIL share (there is none to hold)."""
    from pyrometer.top import View, header

    view = View()
    view.update(FakeProfile({}, meta), 1.0)
    text = "\n".join(header(42, "prog", view))
    assert all(s in text for s in says), text
    assert not any(s in text for s in never), text


def test_top_help_shows_percent_signs():
    r = subprocess.run([*PYRO_MODULE, "top", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "%Own, %Total" in r.stdout and "%%" not in r.stdout


def test_top_into_a_closed_pipe_ends_quietly():
    """`pyrometer top ... | head -1`: no BrokenPipeError, and the program it
    started is stopped."""
    top = _started([*PYRO_MODULE, "top", "--interval", "0.1", "--", sys.executable, target("shapes.py"), "serve"])
    _first_refresh(top)
    top.stdout.close()  # what `head -1` does after its line
    err = top.stderr.read()
    assert top.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


def _started(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _first_refresh(top: subprocess.Popen) -> None:
    """Read `top`'s output up to its first refresh (the program it started
    writes to the same pipe)."""
    for line in top.stdout:
        if line.startswith("pyrometer top:"):
            return
    raise AssertionError(f"top ended without a refresh: {top.stderr.read()}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_attach_ends_on_signal_and_writes(tmp_path, sig):
    """`timeout 5 pyrometer attach PID -o x.svg` writes what it recorded."""
    program = subprocess.Popen([sys.executable, target("shapes.py"), "serve"], stdout=subprocess.PIPE, text=True)
    try:
        assert program.stdout.readline().strip() == "ready"
        out = tmp_path / "x.svg"
        attach = _started([*PYRO_MODULE, "attach", str(program.pid), "-o", str(out)])
        assert "sampling process" in attach.stderr.readline()
        attach.send_signal(sig)
        err = attach.stderr.read()
        assert attach.wait(timeout=60) == 0, err
        assert f"pyrometer: wrote {out}" in err and "Traceback" not in err
        assert out.read_text().startswith("<?xml") or "<svg" in out.read_text()
        assert program.poll() is None  # the program goes on
    finally:
        program.kill()
        program.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_top_ends_on_signal_and_stops_its_program(sig):
    top = _started([*PYRO_MODULE, "top", "--interval", "0.1", "--", sys.executable, target("shapes.py"), "serve"])
    _first_refresh(top)
    top.send_signal(sig)
    _out, err = top.communicate(timeout=60)
    assert top.returncode == 0 and "Traceback" not in err, err
    children = subprocess.run(["pgrep", "-P", str(top.pid)], capture_output=True, text=True).stdout
    assert not children.strip()


def _ended(pid: int) -> bool:
    """The process is gone, or a zombie nobody reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_top_killed_takes_its_program_with_it():
    """Even SIGKILL, which top cannot catch, ends the command it started."""
    top = _started([*PYRO_MODULE, "top", "--interval", "0.1", "--", sys.executable, target("shapes.py"), "serve"])
    _first_refresh(top)
    children = subprocess.run(["pgrep", "-P", str(top.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 1, children
    child = int(children[0])
    top.kill()
    top.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while not _ended(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _ended(child):
        os.kill(child, signal.SIGKILL)
        raise AssertionError(f"process {child} started by top outlived it")
