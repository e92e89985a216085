"""`pyrometer run --gc`: every collection of the garbage collector, in every
mode (sample, trace, lines, memory): the report's section, the JSON's "gc"
object, the .pyro round trip, the types of freed objects on 3.13+ (and
the plain statement where they cannot be read), a program whose reference
cycles are broken showing fewer collections and (memory mode) a lower peak,
the refusals (--blocking, attach, top) and the program running as under
`python`."""

from __future__ import annotations

import gc
import json
import sys

import pytest
from conftest import one_line_refusal, pyro, run, target

from pyrometer import _core

EXIT_USAGE = 2
CYCLES = target("gc_cycles.py")
MODES = ["sample", "trace", "lines", "memory"]
#: lines mode times the function that builds the graphs
MODE_ARGS = {"lines": ["--function", "build"], "memory": ["--exact"]}
FREE_THREADED = "t" in getattr(sys, "abiflags", "")
GIL_OFF = FREE_THREADED and not getattr(sys, "_is_gil_enabled", lambda: True)()


def skip_nogil(mode: str) -> None:
    if GIL_OFF and mode in ("trace", "lines", "memory"):
        pytest.skip("exact modes need the GIL (PYTHON_GIL=1)")


def gc_run(tmp_path, mode: str, kind: str, fmt: str = "json", rounds: str = "300") -> dict | str:
    out = tmp_path / f"{mode}-{kind}.{fmt}"
    r = pyro("run", "--mode", mode, *MODE_ARGS.get(mode, []), "--gc", "-o", str(out), CYCLES, kind, rounds)
    assert r.returncode == 0, r.stderr
    assert "collections" in r.stdout  # the program's own output, untouched
    return json.loads(out.read_text()) if fmt == "json" else str(out)


@pytest.mark.parametrize("mode", MODES)
def test_cycles_show_collections(tmp_path, mode):
    skip_nogil(mode)
    doc = gc_run(tmp_path, mode, "cycles")
    g = doc["gc"]
    assert g["collections"] > 0
    assert sum(g["collections_by_generation"]) == g["collections"]
    assert g["pause_ns"] > 0 and g["pause_max_ns"] > 0
    assert sum(g["pause_by_generation_ns"]) == g["pause_ns"]
    assert g["run_ns"] >= g["pause_ns"]
    assert g["collected"] > 0 and g["uncollectable"] == 0
    # where they fired: the program's lines that allocate the nodes
    ours = [x for x in g["lines"] if x["file"] and x["file"].endswith("gc_cycles.py")]
    assert ours, g["lines"]
    assert sum(x["collections"] for x in g["lines"]) == g["collections"]
    cols = g["columns"]
    assert cols[:6] == ["t_ns", "generation", "pause_ns", "collected", "uncollectable", "freed_bytes"]
    assert sum(row[cols.index("count")] for row in g["rows"]) == g["collections"]
    assert all(row[cols.index("pause_ns")] >= 0 for row in g["rows"])
    if mode == "memory":
        assert g["freed_bytes"] > 0
        # -1: a collection outside the tracker's run (pyrometer's own start and end), never negative bytes
        freed = [row[cols.index("freed_bytes")] for row in g["rows"]]
        assert all(b >= -1 for b in freed) and sum(b for b in freed if b > 0) == g["freed_bytes"]
    else:
        assert g["freed_bytes"] is None
        assert all(row[cols.index("freed_bytes")] == -1 for row in g["rows"])
    if _core.GC_TYPES:
        assert g["types"] == "tracked"
        names = {t["type"]: t["objects"] for t in g["freed_types"]}
        assert names.get("Node", 0) > 0, g["freed_types"][:10]
    else:
        assert g["types"] == "unavailable" and g["freed_types"] == []


@pytest.mark.parametrize("mode", MODES)
def test_broken_cycles_fewer_collections(tmp_path, mode):
    skip_nogil(mode)
    cycles = gc_run(tmp_path, mode, "cycles")
    broken = gc_run(tmp_path, mode, "broken")
    assert broken["gc"]["collections"] < cycles["gc"]["collections"]
    assert broken["gc"]["collected"] < cycles["gc"]["collected"] / 10
    if mode == "memory":
        assert broken["summary"]["mem_peak_bytes"] < cycles["summary"]["mem_peak_bytes"]
        assert broken["gc"]["freed_bytes"] < cycles["gc"]["freed_bytes"]


@pytest.mark.parametrize("mode", MODES)
def test_report_section_and_pyro(tmp_path, mode):
    skip_nogil(mode)
    r = pyro("run", "--mode", mode, *MODE_ARGS.get(mode, []), "--gc", CYCLES, "cycles", "100")
    assert r.returncode == 0, r.stderr
    for text in ("Garbage collector (--gc)", "collections", "paused", "Where collections fired", "gc_cycles.py:"):
        assert text in r.stderr, (text, r.stderr[-3000:])
    if _core.GC_TYPES:
        assert "Objects the collections freed, by type" in r.stderr and "Node" in r.stderr
    else:
        assert "Types of the objects collections freed: not shown" in r.stderr
    saved = gc_run(tmp_path, mode, "cycles", fmt="pyro", rounds="100")
    again = pyro("report", saved)
    assert again.returncode == 0, again.stderr
    assert "Garbage collector (--gc)" in again.stdout and "Where collections fired" in again.stdout


@pytest.mark.parametrize("mode", MODES)
def test_without_gc_no_section(tmp_path, mode):
    skip_nogil(mode)
    out = tmp_path / "x.json"
    r = pyro("run", "--mode", mode, *MODE_ARGS.get(mode, []), "-o", str(out), CYCLES, "cycles", "20")
    assert r.returncode == 0, r.stderr
    assert "gc" not in json.loads(out.read_text())


def test_refused_with_blocking_attach_top():
    one_line_refusal(pyro("run", "--gc", "--blocking", CYCLES), "--gc", "--blocking")
    one_line_refusal(pyro("attach", "--gc", "1"), "--gc", "attach")
    one_line_refusal(pyro("top", "--gc", "1"), "--gc", "top")


def test_program_unchanged(tmp_path):
    """Same output, same exit status, gc.callbacks as it was once the run ends."""
    code = (
        "import gc, sys\n"
        "class C: pass\n"
        "for i in range(20000):\n"
        "    c = C(); c.c = c\n"
        "print('callbacks', len(gc.callbacks))\n"
        "sys.exit(3)\n"
    )
    plain = run([sys.executable, "-c", code])
    r = pyro("run", "--gc", "-c", code)
    assert r.returncode == plain.returncode == 3
    # while it runs the watcher is one of gc.callbacks (how the interpreter tells of collections)
    assert r.stdout == "callbacks 1\n" and plain.stdout == "callbacks 0\n"
    assert "Garbage collector" in r.stderr


def test_watcher_api():
    """GCWatcher on its own: start/stop (stop safe unstarted, gc.callbacks left as found), export."""
    w = _core.GCWatcher()
    w.stop()
    before = list(gc.callbacks)
    w.start()
    with pytest.raises(RuntimeError):
        w.start()
    assert len(gc.callbacks) == len(before) + 1
    gc.collect()
    w.stop()
    w.stop()
    assert gc.callbacks == before
    assert w.collections >= 1
    s = _core.Sampler(rate=100)
    p = s.take()
    w.export(p)
    with pytest.raises(RuntimeError):  # once per profile
        w.export(p)
    doc = json.loads(p.render("json"))
    assert doc["gc"]["collections"] == w.collections
    assert doc["gc"]["collections_by_generation"][2] >= 1  # gc.collect() is a full collection
    with pytest.raises(ValueError):
        _core.GCWatcher(max_rows=3)


def test_rows_bounded():
    """Past max_rows, neighbouring rows merge: the totals stay exact, the report says the lines are approximate."""
    w = _core.GCWatcher(max_rows=4)
    w.start()
    for _ in range(11):
        gc.collect(0)
    w.stop()
    p = _core.Sampler(rate=100).take()
    w.export(p)
    g = json.loads(p.render("json"))["gc"]
    assert g["collections"] >= 11 and len(g["rows"]) <= 4 and g["rows_merged"] > 0
    assert sum(r[g["columns"].index("count")] for r in g["rows"]) == g["collections"]
    assert "approximate: neighbouring collections were merged" in p.render("report")


def churn_cycles(n: int = 20000) -> None:
    class Cyc:
        pass

    for _ in range(n):
        c = Cyc()
        c.me = c


@pytest.mark.skipif(GIL_OFF, reason="exact modes need the GIL (PYTHON_GIL=1)")
def test_api_memory_and_trace_gc():
    """pyrometer.memory(gc=True) and pyrometer.trace(gc=True): the same section, printable and savable."""
    import pyrometer

    with pyrometer.memory(exact=True, gc=True) as m:
        churn_cycles()
    g = json.loads(m.render("json"))["gc"]
    assert g["collections"] > 0 and g["collected"] > 0 and g["freed_bytes"] > 0
    assert "Garbage collector (--gc)" in m.render("report")
    with pyrometer.trace(gc=True) as t:
        churn_cycles()
    g = json.loads(t.profile.render("json"))["gc"]
    assert g["collections"] > 0 and g["collected"] > 0 and g["freed_bytes"] is None
    with pyrometer.memory() as m:  # without gc: no section
        churn_cycles(10)
    assert "Garbage collector" not in m.render("report")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork here")
def test_forked_child_writes_no_report():
    """A child forked under --gc collects on its own; only the parent reports, once."""
    code = (
        "import gc, os\n"
        "class C: pass\n"
        "for i in range(5000):\n"
        "    c = C(); c.c = c\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    gc.collect(); print('child', len(gc.callbacks)); os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "gc.collect()\n"
        "print('parent')\n"
    )
    r = pyro("run", "--gc", "-c", code)
    assert r.returncode == 0, r.stderr
    assert "child 0" in r.stdout and "parent" in r.stdout  # the child no longer has our callback
    assert r.stderr.count("Garbage collector (--gc)") == 1


def test_tracemalloc_keeps_working():
    """A program that runs tracemalloc (which sets its own reference tracer on 3.13+) keeps its numbers:
    ours is set only during collections, calls the one set before, and gives it back."""
    code = (
        "import gc, tracemalloc\n"
        "tracemalloc.start()\n"
        "class C: pass\n"
        "keep = []\n"
        "for i in range(20000):\n"
        "    c = C(); c.c = c\n"
        "    if i % 10 == 0: keep.append(bytearray(100))\n"
        "gc.collect()\n"
        "snap = tracemalloc.take_snapshot()\n"
        "print('traced', tracemalloc.get_traced_memory()[0] > 2000 * 100, len(snap.traces) > 0)\n"
    )
    plain = run([sys.executable, "-c", code])
    r = pyro("run", "--gc", "-c", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout == plain.stdout == "traced True True\n"
    assert "Garbage collector (--gc)" in r.stderr
    if _core.GC_TYPES:
        assert "Objects the collections freed, by type" in r.stderr
