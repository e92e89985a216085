"""`pyrometer run --mode memory --max-memory SIZE`: the profiler's own memory
stays under the cap, records past it are dropped and counted, the report and
one line on stderr say so, and the program runs as under python."""

from __future__ import annotations

import pytest
from conftest import pyro, target
from memory_json import load

from pyrometer import _core

PROG = target("mem_stacks.py")
pytestmark = pytest.mark.skipif(not hasattr(_core, "MemoryTracker"), reason="this build has no MemoryTracker")


def test_cap_drops_and_says_so(tmp_path):
    r = pyro("run", "--mode", "memory", "--exact", "--max-memory", "256K", "-o", "m.pyro", PROG, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "mem_stacks ran 3000\n"
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and "reached --max-memory 256K" in lines[0] and "dropped" in lines[0], r.stderr
    assert pyro("report", "m.pyro", "-o", "m.json", cwd=tmp_path).returncode == 0
    meta = load(tmp_path / "m.json")["meta"]
    assert meta["mem_max_bytes"] == str(256 << 10)
    assert int(meta["mem_dropped"]) > 0
    assert 0 < int(meta["mem_own_bytes"]) <= 256 << 10
    r = pyro("report", "m.pyro", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "cap (--max-memory)" in r.stdout and "reached its memory cap (--max-memory)" in r.stdout


def test_no_cap_drops_nothing(tmp_path):
    r = pyro("run", "--mode", "memory", "--exact", "-o", "m.json", PROG, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    meta = load(tmp_path / "m.json")["meta"]
    assert meta["mem_dropped"] == "0" and "mem_max_bytes" not in meta
    assert int(meta["mem_own_bytes"]) > 256 << 10  # the cap above did bind


@pytest.mark.parametrize("size", ["0", "12Q", "-1", "1.5M", ""])
def test_bad_cap_refused(tmp_path, size):
    r = pyro("run", "--mode", "memory", f"--max-memory={size}", PROG, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "--max-memory" in r.stderr


@pytest.mark.parametrize("mode", ["sample", "trace", "lines"])
def test_cap_refused_in_other_modes(tmp_path, mode):
    r = pyro("run", "--mode", mode, "--max-memory", "1M", PROG, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "--max-memory" in r.stderr and "--mode memory" in r.stderr
