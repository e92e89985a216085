"""The formats of a memory profile through `_core` and `pyrometer report`.

The profile is tests/data/memory/memory.pyro, written by the C tests from
sample_profile_memory() (tests/c/sample.c): prog.py keeps a 200 MiB buffer
(line 4), churns 100 MiB on MainThread and 50 MiB on a worker (line 7, the
first live at the peak), leaks 1 MiB at the end of a deep recursion (line 15)
and 1000 small strings (line 11); sampled every 4096 bytes. Its file name is
relative ("prog.py"), so each test copies it with its source into a folder of
its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, pyro

DATA = REPO / "tests" / "data" / "memory"
MiB = 1 << 20


@pytest.fixture
def here(tmp_path: Path) -> Path:
    shutil.copy(DATA / "memory.pyro", tmp_path / "memory.pyro")
    shutil.copy(DATA / "prog.py", tmp_path / "prog.py")
    return tmp_path


def test_core_renders_memory(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyrometer import _core

    monkeypatch.chdir(here)
    p = _core.Profile.load("memory.pyro")
    assert _core.MODE_FORMATS["memory"] == ("collapsed", "json", "pyro", "report", "speedscope", "svg", "timeline")
    text = str(p.render())
    assert text.startswith("pyrometer memory profile of prog.py\nSampled by bytes: one allocation recorded per 4.0 KiB")
    assert "   200.0 MiB   66.7%         1  prog.py:4 keep  return bytearray(200 << 20)\n" in text
    assert text.index("Live at the peak, by line") < text.index("Leaks: live at exit") < text.index("Top lines")
    # folded stacks in bytes of the metric chosen; live at the peak by default
    assert p.render("collapsed") == (
        f"<module> (prog.py:17);keep (prog.py:4) {200 * MiB}\n<module> (prog.py:18);churn (prog.py:7) {100 * MiB}\n"
    )
    assert p.render("collapsed", metric="peak") == p.render("collapsed")
    assert f"\nchurn (prog.py:7) {50 * MiB}\n" in str(p.render("collapsed", metric="allocated"))
    assert "churn" not in str(p.render("collapsed", metric="leaked"))
    with pytest.raises(ValueError, match=r"unknown metric 'rss' \(use peak, allocated, leaked or events\)"):
        p.render("collapsed", metric="rss")
    doc = json.loads(p.render("json"))
    assert doc["mode"] == "memory" and doc["summary"]["mem_peak_bytes"] == 300 * MiB
    assert doc["summary"]["mem_interval"] == 4096 and "stats" not in doc
    assert doc["node_fields"][4:] == [
        "alloc_bytes",
        "allocs",
        "freed_bytes",
        "peak_bytes",
        "peak_allocs",
        "leaked_bytes",
        "leaked_allocs",
    ]
    scope = json.loads(p.render("speedscope", metric="allocated"))
    assert {prof["unit"] for prof in scope["profiles"]} == {"bytes"}
    assert str(p.render("svg", metric="leaked")).count("bytes leaked (live at the end)") == 1
    for fmt in ("table", "tree", "pstats", "lines"):
        with pytest.raises(
            _core.ProfileError, match=rf"a memory profile cannot be written as {fmt} \(use collapsed, json"
        ):
            p.render(fmt)
    p.write(str(here / "again.pyro"))
    assert (here / "again.pyro").read_bytes() == (here / "memory.pyro").read_bytes()


def test_cli_report_of_memory(here: Path) -> None:
    r = pyro("report", "memory.pyro", cwd=here)
    assert r.returncode == 0, r.stderr
    assert "Live at the peak, by stack" in r.stdout and "< <module> (prog.py:17)" in r.stdout
    r = pyro("report", "memory.pyro", "--format", "table", cwd=here)
    assert r.returncode == 2 and "a memory profile cannot be written as table" in r.stderr
    r = pyro("report", "memory.pyro", "-o", "out.speedscope.json", cwd=here)
    assert r.returncode == 0, r.stderr
    assert json.loads((here / "out.speedscope.json").read_text())["profiles"][0]["unit"] == "bytes"
