"""The statistical line view: `pyrometer report run.pyro --format lines`.

The target (targets/hotline.py) spends nearly all of busy()'s time on one line,
and in nap() alternates a sleep (wall time, no CPU) with a spin (CPU). Its
loops are bounded by the thread's own CPU time or by sleeps, so the shares
asserted here hold on a busy machine: they are orderings and wide margins,
checked against the samples the program actually got, never timings."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import pyro, run, target

# A row of the margin: line number, samples, wall % (self), CPU % (self), the source.
ROW = re.compile(
    r"^\s*(\d+)\s+(\d+)\s+([\d.]+) \(\s*([\d.]+)\)\s+([\d.]+) \(\s*([\d.]+)\)  (.*)$",
)
BLANK_ROW = re.compile(r"^\s*(\d+) {42}(.*)$")


class Row:
    def __init__(self, m: re.Match) -> None:
        self.line, self.samples = int(m[1]), int(m[2])
        self.wall, self.wall_self, self.cpu, self.cpu_self = (float(m[i]) for i in range(3, 7))
        self.text = m[7]


def functions(view: str) -> dict[str, dict]:
    """The functions of a line view by qualname: their header's rest, their
    sampled rows (by line number) and their unsampled lines."""
    out: dict[str, dict] = {}
    cur: dict | None = None
    for text in view.splitlines():
        if text.startswith("Function: "):
            name, _, where = text[len("Function: ") :].partition(" at ")
            cur = out[name] = {"where": where, "rows": {}, "blank": {}, "notes": []}
            continue
        if cur is None:
            continue
        m = ROW.match(text)
        if m:
            row = Row(m)
            cur["rows"][row.line] = row
            continue
        m = BLANK_ROW.match(text)
        if m:
            cur["blank"][int(m[1])] = m[2]
            continue
        cur["notes"].append(text)
    return out


def line_of(marker: str, path: Path) -> int:
    for n, text in enumerate(path.read_text().splitlines(), 1):
        if marker in text:
            return n
    raise AssertionError(marker)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, Path]:
    """hotline.py (copied, so that tests may change the copy) sampled into a .pyro."""
    d = tmp_path_factory.mktemp("lines")
    prog = d / "hotline.py"
    shutil.copy(target("hotline.py"), prog)
    r = pyro("run", "--rate", "500", "-o", str(d / "run.pyro"), str(prog), cwd=d)
    assert r.returncode == 0, r.stderr
    return d, prog


def said(err: str) -> list[str]:
    """pyrometer's own lines on stderr (a Python may warn there too)."""
    return [line for line in err.splitlines() if line.startswith("pyrometer:")]


def view(d: Path, *args: str) -> tuple[int, str, str]:
    r = pyro("report", str(d / "run.pyro"), "--format", "lines", *args, cwd=d)
    return r.returncode, r.stdout, r.stderr


def test_hot_line_and_sleeping_line(recorded):
    d, prog = recorded
    rc, out, err = view(d, "--limit", "0")
    assert rc == 0, err
    funcs = functions(out)
    assert {"busy", "nap", "spin", "<module>"} <= set(funcs), out
    # functions by total: the module, which holds everything, first
    assert next(iter(funcs)) == "<module>"
    busy, nap = funcs["busy"], funcs["nap"]
    assert busy["where"] == "hotline.py:16"
    hot, sleep, spin = line_of("# HOT", prog), line_of("# SLEEP", prog), line_of("# SPIN", prog)
    # busy() ran for 0.4 s of its own CPU time: many samples, nearly all on the hot line
    assert sum(r.samples for r in busy["rows"].values()) >= 20, out
    top = max(busy["rows"].values(), key=lambda r: r.wall)
    assert top.line == hot and "# HOT" in top.text
    assert top.wall > 50 and top.cpu > 50 and top.wall_self == top.wall
    # the def and lines never sampled are shown with a blank margin
    assert line_of("def busy", prog) in busy["blank"] and "def busy(cpu_seconds):" in out
    assert line_of("return total", prog) in busy["blank"]
    # nap(): the sleep has wall time and (next to) no CPU; the spin's CPU is in spin(), which it calls
    rows = nap["rows"]
    assert sleep in rows and spin in rows, out
    assert rows[sleep].samples >= 5 and rows[spin].samples >= 5, out
    assert rows[sleep].cpu < 15 and rows[spin].cpu > 70, out
    assert rows[sleep].wall > rows[sleep].cpu + 10, out
    assert rows[spin].cpu_self < 15  # what it calls is not its own
    # every share is of the function's total: at most 100
    assert all(r.wall <= 100.0 and r.cpu <= 100.0 for f in funcs.values() for r in f["rows"].values())


def test_limit_and_default(recorded):
    d, _ = recorded
    rc, out, _ = view(d, "--limit", "1")
    assert rc == 0 and out.count("\nFunction: ") == 1
    assert "the hottest 1 of 4 sampled functions" in out
    rc, out, _ = view(d)  # a handful by default
    assert rc == 0 and 1 <= out.count("\nFunction: ") <= 5


def test_function_selects(recorded):
    d, _ = recorded
    rc, out, _ = view(d, "--function", "busy")
    assert rc == 0 and list(functions(out)) == ["busy"]
    rc, out, _ = view(d, "--function", "hotline.py:nap")
    assert rc == 0 and list(functions(out)) == ["nap"]
    rc, out, _ = view(d, "--function", str(d / "hotline.py") + ":spin")
    assert rc == 0 and list(functions(out)) == ["spin"]


def test_function_that_matches_nothing(recorded):
    d, _ = recorded
    rc, out, err = view(d, "--function", "bussy")
    assert rc == 9 and out == ""
    assert len(said(err)) == 1 and "no sampled function matches 'bussy'" in err and "busy" in err
    rc, _, err = view(d, "--function", "other.py:nap")
    assert rc == 9 and "hotline.py:nap" in err
    # --function is only for the line view
    r = pyro("report", str(d / "run.pyro"), "--format", "table", "--function", "busy")
    assert r.returncode == 2 and "--function is for --format lines" in r.stderr


def test_missing_and_changed_source(recorded, tmp_path):
    d, prog = recorded
    shutil.copy(d / "run.pyro", tmp_path / "run.pyro")
    moved = tmp_path / "run.pyro"
    # the source changed since: shorter than the lines sampled
    text = prog.read_text()
    try:
        prog.write_text("\n".join(text.splitlines()[:12]) + "\n")
        r = pyro("report", str(moved), "--format", "lines", "--function", "nap")
        assert r.returncode == 0, r.stderr
        assert "it has changed since the profile was recorded" in r.stdout
        assert "(past the end of the file)" in r.stdout
        # gone: said plainly, and the sampled lines still listed by number
        prog.unlink()
        r = pyro("report", str(moved), "--format", "lines", "--function", "busy")
        assert r.returncode == 0, r.stderr
        assert "Source not shown: cannot read" in r.stdout and "No such file or directory" in r.stdout
        rows = functions(r.stdout)["busy"]["rows"]
        assert line_of("# HOT", Path(target("hotline.py"))) in rows
    finally:
        prog.write_text(text)


def test_trace_profile_refused(tmp_path):
    r = pyro("run", "--mode", "trace", "-o", str(tmp_path / "t.pyro"), target("hotline.py"), "0.05")
    assert r.returncode == 0, r.stderr
    r = pyro("report", str(tmp_path / "t.pyro"), "--format", "lines")
    assert r.returncode == 10 and r.stdout == ""
    assert "--format lines needs a sampled profile" in r.stderr and len(said(r.stderr)) == 1
    # refused before the program runs
    r = pyro("run", "--mode", "trace", "--format", "lines", "-c", "print('ran')")
    assert r.returncode == 2 and "ran" not in r.stdout
    assert "--mode trace records no lines" in r.stderr


def test_run_writes_the_view_and_the_report_points_to_it(tmp_path):
    out = tmp_path / "lines.txt"
    r = pyro("run", "--rate", "500", "-o", str(out), "--format", "lines", target("hotline.py"), "0.25")
    assert r.returncode == 0, r.stderr
    funcs = functions(out.read_text())
    assert "busy" in funcs and "\033" not in out.read_text()
    r = pyro("run", "--rate", "500", target("hotline.py"), "0.1")
    assert r.returncode == 0 and "--format lines" in r.stderr


def test_colors_on_request(recorded):
    d, _ = recorded
    rc, out, _ = view(d, "--color", "always", "--function", "busy")
    assert rc == 0 and "\033[1m" in out
    rc, out, _ = view(d, "--function", "busy")  # not a terminal
    assert "\033" not in out


def test_from_python(recorded):
    """The API renders the view too: Profile.render("lines", function=..., limit=...)."""
    d, _ = recorded
    code = (
        "import sys, pyrometer\n"
        "p = pyrometer.Profile.load(sys.argv[1])\n"
        "print(p.render('lines', function='busy'))\n"
        "try:\n"
        "    p.render('lines', function='nobody')\n"
        "except pyrometer.ProfileError as e:\n"
        "    print('refused:', e)\n"
    )
    r = run([sys.executable, "-c", code, str(d / "run.pyro")], cwd=d)
    assert r.returncode == 0, r.stderr
    assert list(functions(r.stdout)) == ["busy"]
    assert "refused: no function in the profile matches that name" in r.stdout
