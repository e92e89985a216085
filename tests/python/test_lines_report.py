"""`pyrometer report` of a lines profile (exact line timing): line_profiler's
report, its units, its JSON and .pyro, and the formats and options it refuses.

The profile is tests/data/lines/lines.pyro, written by the C tests from
sample_profile_lines() (tests/c/sample.c): work() of prog.py called twice on
MainThread and once on a worker thread, never() chosen but never called. Its
file name is relative ("prog.py"), so each test copies it with its source
into a folder of its own and reports from there."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import REPO, pyro, run

DATA = REPO / "tests" / "data" / "lines"
HEADER = "Line #      Hits         Time  Per Hit   % Time  Line Contents"
# A row: line number, hits, time, per hit, % time, the source.
ROW = re.compile(r"^ *(\d+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+)  (.*)$")
BLANK = re.compile(r"^ *(\d+) {43}(.*)$")


@pytest.fixture
def here(tmp_path: Path) -> Path:
    shutil.copy(DATA / "lines.pyro", tmp_path / "lines.pyro")
    shutil.copy(DATA / "prog.py", tmp_path / "prog.py")
    return tmp_path


def report(cwd: Path, *args: str, cmd: list[str] | None = None):
    if cmd:
        return run([*cmd, "report", "lines.pyro", *args], cwd=cwd)
    return pyro("report", "lines.pyro", *args, cwd=cwd)


def said(err: str) -> list[str]:
    return [line for line in err.splitlines() if line]


def functions(text: str) -> dict[str, dict]:
    """Per function header: its header lines, rows by line number, blank lines."""
    out: dict[str, dict] = {}
    cur: dict | None = None
    for line in text.splitlines():
        if line.startswith("Total time: "):
            cur = {"total": line, "rows": {}, "blank": {}}
            continue
        if cur is None:
            continue
        if line.startswith("Function: "):
            name = line[len("Function: ") :].split(" at ")[0]
            cur["function"] = line
            out[name] = cur
            continue
        if line.startswith("File: "):
            cur["file"] = line
            continue
        m = ROW.match(line)
        if m:
            cur["rows"][int(m[1])] = (int(m[2]), float(m[3]), float(m[4]), float(m[5]), m[6])
            continue
        m = BLANK.match(line)
        if m:
            cur["blank"][int(m[1])] = m[2]
    return out


def test_report_as_line_profiler(here, pyro_cmd):
    r = report(here, cmd=pyro_cmd)
    assert r.returncode == 0 and r.stderr == ""
    out = r.stdout
    assert out.startswith("Timer unit: 1e-06 s\n\nTotal time: 0.300017 s\nFile: prog.py\n")
    assert f"\n{HEADER}\n{'=' * len(HEADER)}\n" in out
    funcs = functions(out)
    assert list(funcs) == ["work", "never"]  # by file and line
    work = funcs["work"]
    assert work["function"] == "Function: work at line 3 (3 calls)"
    # the threads merged: MainThread's 20 and the worker's 10 runs of the loop body
    assert work["rows"][7] == (30, 6.0, 0.2, 0.0, "        total += i")
    assert work["rows"][11] == (3, 300000.0, 100000.0, 100.0, "    time.sleep(0.1)")
    assert sorted(work["rows"]) == [5, 6, 7, 9, 11, 12]
    # from the decorator to the last line with code; lines never run and without code blank
    assert work["blank"] == {3: "@profile", 4: "def work(n):", 8: "    # a comment", 10: "        return -1"}
    assert funcs["never"]["function"] == "Function: never at line 14: never called"
    assert out.endswith("Function: never at line 14: never called\n")  # no table
    # the same report as --format lines and report, and in a .txt
    for fmt in ("lines", "report"):
        assert report(here, "--format", fmt).stdout == out
    r = report(here, "-o", "out.txt")
    assert r.returncode == 0 and (here / "out.txt").read_text() == out


@pytest.mark.parametrize(
    "unit,timer,row",
    [
        ("s", "Timer unit: 1 s", (3, 0.3, 0.1, 100.0)),
        ("ms", "Timer unit: 0.001 s", (3, 300.0, 100.0, 100.0)),
        ("us", "Timer unit: 1e-06 s", (3, 300000.0, 100000.0, 100.0)),
        ("ns", "Timer unit: 1e-09 s", (3, 300000000.0, 100000000.0, 100.0)),
    ],
)
def test_units(here, unit, timer, row):
    r = report(here, "--unit", unit)
    assert r.returncode == 0 and r.stdout.startswith(timer + "\n")
    assert functions(r.stdout)["work"]["rows"][11][:4] == row


def test_json_and_pyro(here):
    r = report(here, "--format", "json")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["mode"] == "lines" and doc["meta"]["mode"] == "lines"
    assert [t["name"] for t in doc["threads"]] == ["MainThread", "worker"]
    work, never = doc["functions"]
    assert (work["qualname"], work["file"], work["line"], work["last_line"]) == ("work", "prog.py", 3, 12)
    assert work["calls"] == 3 and work["total_ns"] == sum(ln["total_ns"] for ln in work["lines"])
    assert [ln["line"] for ln in work["lines"]] == [5, 6, 7, 9, 10, 11, 12]
    assert work["lines"][4] == {"line": 10, "hits": 0, "total_ns": 0}
    assert never["calls"] == 0 and never["lines"] == [{"line": 15, "hits": 0, "total_ns": 0}]
    assert report(here, "-o", "out.json").returncode == 0
    assert json.loads((here / "out.json").read_text()) == doc
    # .pyro: written again, re-rendered the same
    r = report(here, "-o", "again.pyro")
    assert r.returncode == 0 and "wrote again.pyro" in r.stderr
    again = pyro("report", "again.pyro", cwd=here)
    assert again.returncode == 0 and again.stdout == report(here).stdout


def test_function_and_limit(here):
    r = report(here, "--function", "never")
    assert r.returncode == 0 and list(functions(r.stdout)) == ["never"]
    r = report(here, "--function", "prog.py:work")
    assert r.returncode == 0 and list(functions(r.stdout)) == ["work"]
    r = report(here, "--limit", "1")
    assert r.returncode == 0 and list(functions(r.stdout)) == ["work"]
    assert "1 of 2 functions, those with the most time" in r.stdout
    r = report(here, "--function", "wrok")
    assert r.returncode == 9 and r.stdout == ""
    assert said(r.stderr) == ["pyrometer: lines.pyro: no timed function matches 'wrok'; close matches: work"]


@pytest.mark.parametrize("fmt", ["table", "tree", "pstats", "collapsed", "speedscope", "svg"])
def test_formats_refused(here, fmt):
    r = report(here, "--format", fmt, "-o", "out.any")
    assert r.returncode == 2 and not (here / "out.any").exists()
    assert said(r.stderr) == [
        f"pyrometer: lines.pyro: a lines profile cannot be written as {fmt}; use --format json, pyro, report or lines"
    ]


@pytest.mark.parametrize(
    "args,why",
    [
        (["--sort", "tottime"], "--sort is for traces and samples"),
        (["--callers", "3"], "--callers is for traces and samples"),
        (["--threshold", "5"], "--threshold is for traces and samples"),
        (["--clock", "cpu"], "--clock is for traces and samples"),
        (["--show-all"], "--show-all is for traces and samples"),
        (["--format", "json", "--unit", "ms"], "--unit is for the report: --format json holds every function"),
        (["--format", "json", "--function", "work"], "--function is for the report"),
        (["--format", "pyro", "--limit", "1", "-o", "x.pyro"], "--limit is for the report"),
    ],
)
def test_options_refused(here, args, why):
    r = report(here, *args)
    assert r.returncode == 2 and r.stdout == ""
    assert len(said(r.stderr)) == 1 and why in r.stderr


def test_unit_only_for_lines_profiles():
    r = pyro("report", str(REPO / "tests" / "data" / "pyro-v1" / "trace.pyro"), "--unit", "ms")
    assert r.returncode == 2
    assert said(r.stderr) == ["pyrometer: --unit is for the report of a lines profile (pyrometer run --mode lines)"]


def test_source_missing_and_colors(here):
    (here / "prog.py").unlink()
    r = report(here)
    assert r.returncode == 0
    assert "Source not shown: cannot read prog.py (No such file or directory); the timed lines by number" in r.stdout
    rows = functions(r.stdout)["work"]["rows"]
    assert sorted(rows) == [5, 6, 7, 9, 11, 12] and rows[7][4] == ""
    r = report(here, "--color", "always")
    assert "\033[31m   100.0\033[0m" in r.stdout


# ==== with the engine: a profile recorded by _core.LineTimer ====

ENGINE_PROG = """\
import sys
import threading

from pyrometer import _core


def work(n):
    total = 0
    for i in range(n):
        total += i

    if n < 0:
        return -1
    return total


def never():
    return 1


t = _core.LineTimer()
t.add_code(work.__code__)
t.add_code(never.__code__)
t.start()
work(10)
th = threading.Thread(target=work, args=(5,))
th.start()
th.join()
t.stop()
t.profile().write(sys.argv[1])
"""


def test_report_of_the_engine(tmp_path):
    """A profile the engine recorded (two threads) reads back and renders as
    the fixture does: its lines, the threads merged, never() never called."""
    (tmp_path / "prog.py").write_text(ENGINE_PROG)
    r = run([sys.executable, "prog.py", "rec.pyro"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = pyro("report", "rec.pyro", cwd=tmp_path)
    assert out.returncode == 0 and out.stderr == ""
    funcs = functions(out.stdout)
    assert list(funcs) == ["work", "never"]
    work = funcs["work"]
    assert work["function"] == "Function: work at line 7 (2 calls)"
    assert work["rows"][10][0] == 15 and work["rows"][10][4] == "        total += i"  # 10 + 5
    assert work["rows"][8][0] == 2 and work["rows"][14][0] == 2
    # a line with code never run, an empty line and the def: blank; the table ends at the last line
    assert {7, 11, 13} <= set(work["blank"]) and work["blank"][13] == "        return -1"
    assert max(work["rows"]) == 14 and 15 not in work["blank"]
    assert funcs["never"]["function"] == "Function: never at line 17: never called"
    doc = json.loads(pyro("report", "rec.pyro", "--format", "json", cwd=tmp_path).stdout)
    assert doc["mode"] == "lines" and len(doc["threads"]) == 2
    w = doc["functions"][0]
    assert w["calls"] == 2 and w["total_ns"] == sum(ln["total_ns"] for ln in w["lines"])
    assert w["last_line"] == 14 and {"line": 13, "hits": 0, "total_ns": 0} in w["lines"]


def test_api_render_options(here):
    """Profile.render/write of a lines profile: unit=, the formats refused by
    name (nothing written), and the decisions the CLI offers from the core."""
    from pyrometer import _core

    p = _core.Profile.load(str(here / "lines.pyro"))
    assert _core.TIME_UNITS == ("s", "ms", "us", "ns")
    assert _core.MODE_FORMATS["lines"] == ("json", "pyro", "report", "lines")
    assert "svg" in _core.MODE_FORMATS["sample"] and "lines" not in _core.MODE_FORMATS["trace"]
    assert str(p.render(unit="ms")).startswith("Timer unit: 0.001 s\n")
    assert p.render(unit="") == p.render()
    with pytest.raises(ValueError, match=r"unknown unit 'min' \(use s, ms, us or ns"):
        p.render(unit="min")
    with pytest.raises(_core.ProfileError, match=r"a lines profile cannot be written as svg \(use json, pyro"):
        p.write(str(here / "out.svg"))
    assert not (here / "out.svg").exists()
