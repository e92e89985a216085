"""`pyrometer run --mode memory`: memory_profiler's per-line table for the
functions chosen with @profile (in builtins), --function or --module, kept
in the profile so that `pyrometer report FILE` shows it again, and
`report FILE --function F` choosing at report time. The numbers are
checked against what the target allocates: each line's own bytes, and
what the calls it makes allocated (a recursive call counted once)."""

from __future__ import annotations

import re

import pytest
from conftest import pyro, target
from memory_json import marker_lines

from pyrometer import _core

MIB = 1 << 20
PROG = target("mem_lines.py")
LINE = marker_lines(PROG)
pytestmark = pytest.mark.skipif(not hasattr(_core, "MemoryTracker"), reason="this build has no MemoryTracker")

_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
_SIZE = re.compile(r"(\d+(?:\.\d)?) (B|KiB|MiB|GiB|TiB)\b")


def table(report: str, func: str) -> tuple[str, dict[int, tuple[list[int], str]]]:
    """The header and rows of `func`'s table in `report`: per line number,
    the six sizes (own allocated, net, at peak; the same with callees) and
    the line's text; no sizes on a line without numbers."""
    start = report.index(f"Function: {func} at")
    end = report.find("\nFunction: ", start + 1)
    block = report[start : end if end >= 0 else len(report)]
    rows: dict[int, tuple[list[int], str]] = {}
    for line in block.splitlines():
        if not line[:6].strip().isdigit():  # "Line #" (6 columns), 78 of numbers, 2 blanks, the text
            continue
        sizes = [round(float(n) * _UNITS[u]) for n, u in _SIZE.findall(line[6:84])]
        rows[int(line[:6])] = (sizes, line[86:])
    return block, rows


def near(got: int, want: int, rel: float) -> bool:
    return abs(got - want) <= rel * want


def run_lines(tmp_path, *extra: str) -> str:
    r = pyro("run", "--mode", "memory", *extra, "-o", "m.pyro", PROG, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "mem_lines ran\n"
    r = pyro("report", "m.pyro", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_profile_decorator_exact(tmp_path):
    """@profile chooses work() and never(); only them. A size shown with one
    decimal is within 0.05 of its unit (under 1% of 8 MiB)."""
    report = run_lines(tmp_path, "--exact")
    assert "Lines of the chosen functions (2 functions;" in report
    assert "Function: by_flag at" not in report and "Function: helper at" not in report
    head, rows = table(report, "work")
    keep, text = rows[LINE["KEEP"]]
    assert "bytearray(8 << 20)" in text
    assert near(keep[0], 8 * MIB, 0.01) and near(keep[1], 8 * MIB, 0.01) and near(keep[2], 8 * MIB, 0.01)
    assert keep[3:] == keep[:3]  # a line that calls nothing: the same with callees
    call, text = rows[LINE["CALL"]]
    assert call[0] < 64 * 1024  # the line itself: (almost) nothing
    assert near(call[3], 16 * MIB, 0.01)  # with helper(): its 16 MiB
    assert call[4] < 64 * 1024  # freed: net 0, never negative
    assert near(call[5], 16 * MIB, 0.01)  # live at the peak (24 MiB with keep)
    assert rows[LINE["CALL"] + 1] == ([], "    del tmp")  # a line with nothing recorded: blank
    assert all(v >= 0 for sizes, _ in rows.values() for v in sizes)
    assert "With what it calls: allocated 24.0 MiB" in head
    head, rows = table(report, "never")
    assert "No allocations recorded" in head
    assert all(not sizes for sizes, _ in rows.values()) and any("return 1" in t for _, t in rows.values())


def test_function_option_and_recursion_counted_once(tmp_path):
    report = run_lines(tmp_path, "--exact", "--function", f"{PROG}:by_flag", "--function", "rec")
    assert "Lines of the chosen functions (4 functions;" in report  # with the two @profile chose
    _, rows = table(report, "by_flag")
    assert near(rows[LINE["FLAG"]][0][0], 4 * MIB, 0.01)
    _, rows = table(report, "rec")
    recurse, bottom = rows[LINE["RECURSE"]][0], rows[LINE["BOTTOM"]][0]
    assert near(bottom[0], MIB, 0.01) and near(bottom[3], MIB, 0.01)
    assert recurse[0] < 64 * 1024 and near(recurse[3], MIB, 0.01)  # five frames deep: once, not 5 MiB


def test_report_chooses_at_report_time(tmp_path):
    run_lines(tmp_path, "--exact")
    r = pyro("report", "m.pyro", "--function", "helper", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Function: helper at" in r.stdout and "Function: work at" not in r.stdout
    _, rows = table(r.stdout, "helper")
    assert near(rows[LINE["HELPER"]][0][0], 16 * MIB, 0.01)
    r = pyro("report", "m.pyro", "--function", "wrok", cwd=tmp_path)
    assert r.returncode == 9 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "close matches: work" in r.stderr
    r = pyro("report", "m.pyro", "--function", "work", "-o", "x.svg", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--function" in r.stderr


def test_sampled_by_default(tmp_path):
    """Sampled by bytes: large allocations are recorded at their size."""
    report = run_lines(tmp_path)
    assert "sampled by bytes: a line's numbers are estimates" in report
    _, rows = table(report, "work")
    assert near(rows[LINE["KEEP"]][0][0], 8 * MIB, 0.01)
    assert near(rows[LINE["CALL"]][0][3], 16 * MIB, 0.01)


def test_module_option(tmp_path):
    (tmp_path / "helpers_mod.py").write_text("def make(n):\n    return bytearray(n)\n\n\ndef unused():\n    pass\n")
    (tmp_path / "prog.py").write_text("import helpers_mod\nx = helpers_mod.make(2 << 20)\n")
    r = pyro("run", "--mode", "memory", "--exact", "--module", "helpers_mod", "prog.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    _, rows = table(r.stderr, "make")  # the report of a run: on stderr
    assert near(rows[2][0][0], 2 * MIB, 0.01)
    head, _ = table(r.stderr, "unused")
    assert "No allocations recorded" in head


@pytest.mark.parametrize(
    "option,status", [(["--function", "mem_lines.py:nope"], 11), (["--module", "no_such_module_x"], 11)]
)
def test_bad_choice_refused_before_the_program_runs(tmp_path, option, status):
    r = pyro("run", "--mode", "memory", *option, PROG, cwd=tmp_path)
    assert r.returncode == status, r.stderr
    assert r.stdout == "" and r.stderr.count("\n") == 1


def test_nothing_chosen_no_table(tmp_path):
    r = pyro("run", "--mode", "memory", target("mem_small.py"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Top lines" in r.stderr and "Lines of the chosen functions" not in r.stderr
