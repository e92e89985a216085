"""Every output format, read back by the tools people use."""

from __future__ import annotations

import io
import json
import pstats
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import pyro, require_peer, run, target


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One traced run saved as .pyro, and its pstats twin."""
    d = tmp_path_factory.mktemp("saved")
    r = pyro("run", "--mode", "trace", "-o", str(d / "g.pyro"), target("gens.py"))
    assert r.returncode == 0, r.stderr
    r = pyro("report", str(d / "g.pyro"), "-o", str(d / "g.prof"))
    assert r.returncode == 0, r.stderr
    return d


def test_pstats_print_stats_and_callers(saved):
    st = pstats.Stats(str(saved / "g.prof"))
    out = io.StringIO()
    st.stream = out
    st.strip_dirs().sort_stats("tottime").print_stats("gens.py")
    st.print_callers("main")
    st.print_callees("main")
    text = out.getvalue()
    assert "function calls" in text and "gens.py:57(main)" in text and "was called by" in text


def test_report_formats_agree(saved):
    table = pyro("report", str(saved / "g.pyro"))
    assert table.returncode == 0 and "ncalls  tottime  percall  cumtime  percall" in table.stdout
    js = json.loads(pyro("report", "--format", "json", str(saved / "g.pyro")).stdout)
    assert js["format"] == "pyrometer" and js["version"] == 1
    # a trace's nodes have the trace's columns only: no sample columns
    assert js["node_fields"] == ["parent", "thread", "function", "line", "calls", "self_ns", "total_ns"]
    funcs = js["functions"]
    nodes = js["nodes"]
    for parent, thread, func, _line, _calls, self_ns, total_ns in nodes:
        assert parent < len(nodes) and func < len(funcs) and thread < len(js["threads"])
        assert 0 <= self_ns <= total_ns
    # the JSON stats are pstats' numbers
    st = pstats.Stats(str(saved / "g.prof")).stats
    for row in js["stats"]["functions"]:
        f = funcs[row["function"]]
        key = (f["file"], f["line"], f["name"])
        assert (st[key][0], st[key][1]) == (row["primcalls"], row["ncalls"])
    folded = pyro("report", "--format", "collapsed", str(saved / "g.pyro")).stdout
    line_re = re.compile(r"^[^;\n]+(;[^;\n]+)* \d+$")
    lines = folded.splitlines()
    assert lines and all(line_re.match(ln) for ln in lines)
    assert any(ln.startswith("<module> (") and "main (" in ln for ln in lines)
    # (threshold 0: main's share of a traced wall-clock run shrinks to under
    # the default 0.5% when the machine is busy while asyncio is imported)
    tree = pyro("report", "--format", "tree", "--threshold", "0", str(saved / "g.pyro")).stdout
    assert "main" in tree and "%" in tree


def test_report_to_file_and_binary_guard(saved, tmp_path):
    r = pyro("report", str(saved / "g.pyro"), "-o", str(tmp_path / "x.json"))
    assert r.returncode == 0 and json.loads((tmp_path / "x.json").read_text())
    # binary to a pipe is fine (and loads), to a terminal it is refused
    r = subprocess.run(
        [sys.executable, "-m", "pyrometer", "report", str(saved / "g.pyro"), "--format", "pstats"], capture_output=True
    )
    assert r.returncode == 0 and r.stdout == (saved / "g.prof").read_bytes()


def test_gprof2dot_reads_prof(saved):
    require_peer("gprof2dot")
    # every node and edge (its default hides those under 0.5%: main, on a busy machine)
    r = run([sys.executable, "-m", "gprof2dot", "-f", "pstats", "-n", "0", "-e", "0", str(saved / "g.prof")])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("digraph") and "main" in r.stdout


def test_snakeviz_reads_prof(saved):
    require_peer("snakeviz")
    from snakeviz.stats import json_stats, table_rows

    st = pstats.Stats(str(saved / "g.prof"))
    assert table_rows(st)
    stats = json_stats(st)
    stats = json.loads(stats) if isinstance(stats, str) else stats
    assert any("(main)" in k for k in stats)


# ==== report on bad files: a clear error, never a crash ====


def _report(path):
    r = pyro("report", str(path))
    return r.returncode, r.stderr


def test_report_missing_and_foreign_files(tmp_path, saved):
    rc, err = _report(tmp_path / "nope.pyro")
    assert rc == 4 and "cannot read" in err and err.count("\n") == 1
    (tmp_path / "t.txt").write_text("hello")
    rc, err = _report(tmp_path / "t.txt")
    assert rc == 4 and "not a profile" in err and err.count("\n") == 1


# ==== pstats files (from cProfile too) ====


@pytest.fixture(scope="module")
def cprof(tmp_path_factory):
    d = tmp_path_factory.mktemp("cprof")
    r = run([sys.executable, "-m", "cProfile", "-o", str(d / "c.prof"), target("fibrec.py"), "12"])
    assert r.returncode == 0, r.stderr
    return d / "c.prof"


def test_report_reads_cprofile_files(cprof, tmp_path):
    st = pstats.Stats(str(cprof))
    table = pyro("report", "--limit", "0", str(cprof))
    assert table.returncode == 0, table.stderr
    assert f"{st.total_calls} function calls ({st.prim_calls} primitive calls)" in table.stdout
    fib_row = next(ln for ln in table.stdout.splitlines() if ln.endswith("(fib)"))
    key = next(k for k in st.stats if k[2] == "fib")
    assert fib_row.split()[0] == f"{st.stats[key][1]}/{st.stats[key][0]}"
    # rewritten as pstats: the same numbers
    r = pyro("report", str(cprof), "-o", str(tmp_path / "again.prof"))
    assert r.returncode == 0, r.stderr
    again = pstats.Stats(str(tmp_path / "again.prof")).stats
    assert set(again) == set(st.stats)
    for k, (cc, nc, tt, ct, callers) in st.stats.items():
        a = again[k]
        assert (a[0], a[1]) == (cc, nc) and abs(a[2] - tt) < 1e-12 and abs(a[3] - ct) < 1e-12
        assert {c: v[:2] for c, v in a[4].items()} == {c: v[:2] for c, v in callers.items()}
    js = json.loads(pyro("report", "--format", "json", str(cprof)).stdout)
    assert js["nodes"] == [] and js["stats"]["total_calls"] == st.total_calls


def test_report_pstats_has_no_tree(cprof):
    for fmt in ("tree", "collapsed", "pyro"):
        r = pyro("report", "--format", fmt, str(cprof))
        assert r.returncode == 2 and "no call tree" in r.stderr and r.stderr.count("\n") == 1


def test_report_corrupt_pstats(tmp_path, cprof):
    data = cprof.read_bytes()
    for i, blob in enumerate(
        [
            data[:1],
            data[: len(data) // 2],
            data[:-1],
            b"{" + b"\xff" * 30,
            b"{)\x03",
            b"\xfb" + b"r\x00\x00\x00\x00" + b"N0",
        ]
    ):
        p = tmp_path / f"bad{i}.prof"
        p.write_bytes(blob)
        rc, err = _report(p)
        assert rc == 4, (i, err)
        assert "Traceback" not in err and err.count("\n") == 1


def test_report_truncated_and_corrupted(tmp_path, saved):
    data = (saved / "g.pyro").read_bytes()
    rng = random.Random(1234)
    cases = [data[:n] for n in (0, 7, 8, 16, 40, len(data) // 2, len(data) - 1)]
    for _ in range(25):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            b[i] ^= rng.randrange(1, 256)  # always a real change
        if bytes(b) != data:  # (two flips of one byte can cancel out)
            cases.append(bytes(b))

    cases += [bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))) for _ in range(10)]
    for i, blob in enumerate(cases):
        p = tmp_path / f"c{i}.pyro"
        p.write_bytes(blob)
        rc, err = _report(p)
        assert rc == 4, (i, rc, err)
        assert "Traceback" not in err and err.count("\n") == 1, err


V1 = Path(__file__).resolve().parent.parent / "data" / "pyro-v1"


def json_by_field(doc: dict) -> dict:
    """A JSON document's parts that do not depend on which node columns it lists, and its nodes
    as one dict per node of the fields it has."""
    rows = [dict(zip(doc["node_fields"], row)) for row in doc["nodes"]]
    return {k: doc[k] for k in ("meta", "functions", "threads", "stats")} | {"nodes": rows}


@pytest.mark.parametrize("kind", ["trace", "sample"])
def test_reads_version_1_files(kind):
    """.pyro files written by format 1.0 (tests/data/pyro-v1) render as they did then."""
    pyro_file = str(V1 / f"{kind}.pyro")
    variants = [("collapsed", [], f"{kind}.collapsed")]
    if kind == "sample":
        variants.append(("collapsed", ["--clock", "cpu"], "sample-cpu.collapsed"))
    for fmt, extra, want in variants:
        r = pyro("report", "--format", fmt, *extra, pyro_file, cwd=V1)
        assert r.returncode == 0, r.stderr
        # the files were recorded in another checkout: their program's paths, absolute in the
        # file, read relative to the folder they were recorded in
        assert re.sub(r"[^ ;(]*/tests/data/pyro-v1/", "", r.stdout) == (V1 / want).read_text()
    r = pyro("report", "--format", "json", pyro_file, cwd=V1)
    assert r.returncode == 0, r.stderr
    new, old = json_by_field(json.loads(r.stdout)), json_by_field(json.loads((V1 / f"{kind}.json").read_text()))
    assert {k: new[k] for k in ("meta", "functions", "threads", "stats")} == {
        k: old[k] for k in ("meta", "functions", "threads", "stats")
    }
    # every column the new file has holds what the old one did; the ones it dropped were all zero
    assert len(new["nodes"]) == len(old["nodes"])
    for a, b in zip(new["nodes"], old["nodes"]):
        assert all(b[k] == v for k, v in a.items())
        assert all(v == 0 for k, v in b.items() if k not in a)
