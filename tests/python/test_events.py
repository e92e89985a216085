"""pyrometer run --event: samples on a perf event attributed to the Python
line and stack that made them (docs/events.md). The counts are the kernel's:
a test checks where they went, never how long anything took."""

from __future__ import annotations

import json
import mmap
import os
import sys
from pathlib import Path

import pytest
from conftest import pyro

import pyrometer._core as core

MIB = 1024 * 1024
EVENTS = {e["name"]: e for e in core.Sampler.events()}
#: exact tracing needs the GIL: a free-threaded build without it refuses --mode trace (status 8)
needs_gil = pytest.mark.skipif(
    not getattr(sys, "_is_gil_enabled", lambda: True)(), reason="--mode trace needs the GIL (PYTHON_GIL=1)"
)
needs_faults = pytest.mark.skipif(
    not EVENTS["page-faults"]["available"], reason=f"page-faults: {EVENTS['page-faults']['reason']}"
)

#: line 9 makes a fresh 100 MiB buffer (every page faulted in once, there);
#: the rest of the program does a little of everything else
TOUCH = """\
import time
def setup():
    return [i * i for i in range(100000)]
def spin():
    t = time.process_time()
    while time.process_time() - t < 0.1:
        pass
def touch():
    buf = bytearray(100 * 1024 * 1024)
    return len(buf)
setup()
spin()
print(touch())
spin()
"""
TOUCH_LINE = 9

#: a thread that works a while (the sampler sees it within a round), then faults in 64 MiB on line 6
THREADED = """\
import threading, time
def worker(out):
    t = time.process_time()
    while time.process_time() - t < 0.2:
        pass
    out.append(len(bytearray(64 * 1024 * 1024)))
out = []
t = threading.Thread(target=worker, args=(out,), name="toucher")
t.start()
t.join()
print(out[0])
"""


def profile(tmp_path: Path, source: str, *args: str) -> tuple[dict, str]:
    script = tmp_path / "prog.py"
    script.write_text(source)
    out = tmp_path / "p.json"
    r = pyro("run", *args, "-o", str(out), str(script))
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text()), r.stdout


def line_events(doc: dict) -> dict[tuple[str, int], int]:
    """Events per (function, line), summed over the nodes."""
    fields = doc["node_fields"]
    ev = fields.index("events")
    out: dict[tuple[str, int], int] = {}
    for row in doc["nodes"]:
        key = (doc["functions"][row[2]]["name"], row[3])
        out[key] = out.get(key, 0) + row[ev]
    return out


@needs_faults
def test_fresh_buffer_line_owns_the_page_faults(tmp_path):
    doc, stdout = profile(tmp_path, TOUCH, "--event", "page-faults")
    assert stdout.strip() == str(100 * MIB)  # the program's own result, unchanged
    meta = doc["meta"]
    assert meta["event"] == "page-faults" and int(meta["event_period"]) == EVENTS["page-faults"]["default_period"]
    per_line = line_events(doc)
    attributed = sum(per_line.values())
    # the metadata and the nodes agree; the kernel counted at least what the stacks got
    assert attributed == int(meta["event_attributed"]) > 0
    assert int(meta["event_counted"]) >= attributed
    assert per_line.get(("touch", TOUCH_LINE), 0) >= 0.9 * attributed, per_line


#: bursts of 256 page faults on line 5, each far shorter than a wake-up of the sampler, until
#: {clock}() passes {seconds}; it says "ready" first (attach waits for it)
BURSTS = """\
import mmap, time; print("ready", flush=True)
end = time.{clock}() + {seconds}
while time.{clock}() < end:
    m = mmap.mmap(-1, 1 << 20)
    m[::4096] = b"x" * 256
    m.close()
    time.sleep(0.001)
"""


@needs_faults
def test_short_bursts_land_on_their_line(tmp_path):
    """In this process each thread stops at its overflow until its stack is
    read: a burst of faults is not attributed to the line after it."""
    doc, _ = profile(
        tmp_path, BURSTS.format(clock="process_time", seconds=0.3), "--event", "page-faults", "--period", "100"
    )
    meta = doc["meta"]
    assert meta["event_paused"] == "1"
    per_line = line_events(doc)
    attributed = int(meta["event_attributed"])
    late = int(meta["event_late"])  # a busy machine: a sample whose thread did not wait
    assert attributed > 0
    assert per_line.get(("<module>", 5), 0) >= attributed - 200 * late - 100, (per_line, late)


@needs_faults
def test_period_sets_the_samples(tmp_path):
    doc, _ = profile(tmp_path, TOUCH, "--event", "page-faults", "--period", "64")
    meta = doc["meta"]
    assert meta["event_period"] == "64"
    fields = doc["node_fields"]
    samples = sum(row[fields.index("event_samples")] for row in doc["nodes"])
    # each sample holds the events since the thread's previous one: about a period each
    assert 0 < samples <= int(meta["event_samples"])
    assert int(meta["event_attributed"]) >= 64 * samples * 0.9
    assert line_events(doc).get(("touch", TOUCH_LINE), 0) >= 0.9 * int(meta["event_attributed"])


@needs_faults
def test_each_thread_has_its_own_counter(tmp_path):
    doc, stdout = profile(tmp_path, THREADED, "--event", "page-faults", "--period", "100")
    assert stdout.strip() == str(64 * MIB)
    fields = doc["node_fields"]
    ev = fields.index("events")
    by_thread: dict[str, int] = {}
    for row in doc["nodes"]:
        name = doc["threads"][row[1]]["name"]
        by_thread[name] = by_thread.get(name, 0) + row[ev]
    total = sum(by_thread.values())
    assert total > 0 and by_thread.get("toucher", 0) >= 0.8 * total, by_thread
    assert line_events(doc).get(("worker", 6), 0) >= 0.8 * total


@needs_faults
def test_report_and_flame_graphs_by_event(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(TOUCH)
    r = pyro("run", "--event", "page-faults", str(script))
    assert r.returncode == 0, r.stderr
    assert "page-faults: " in r.stderr and "Lines by page-faults" in r.stderr
    first = r.stderr.split("Lines by page-faults")[1].splitlines()[2]
    assert f"prog.py:{TOUCH_LINE}" in first and "bytearray" in first  # the top line, with its source
    saved = tmp_path / "p.pyro"
    assert pyro("run", "--event", "page-faults", "-o", str(saved), str(script)).returncode == 0
    folded = pyro("report", str(saved), "--metric", "events", "--format", "collapsed")
    assert folded.returncode == 0, folded.stderr
    weights = {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in folded.stdout.splitlines()}
    meta = json.loads(pyro("report", str(saved), "--format", "json").stdout)["meta"]
    assert sum(weights.values()) == int(meta["event_attributed"])
    touch = sum(w for path, w in weights.items() if path.endswith("prog.py:8)") and ";touch (" in path)
    assert touch >= 0.9 * sum(weights.values())
    scope = json.loads(pyro("report", str(saved), "--metric", "events", "--format", "speedscope").stdout)
    assert {p["unit"] for p in scope["profiles"]} == {"none"}
    svg = pyro("report", str(saved), "--metric", "events", "--format", "svg")
    assert svg.returncode == 0 and "events sampled" in svg.stdout


@needs_gil
@needs_faults
def test_memory_and_event_in_one_run(tmp_path):
    """run --memory --event: one profile with both; each metric's flame graph
    is its own (the buffer's line owns its bytes and its page faults)."""
    script = tmp_path / "prog.py"
    script.write_text(TOUCH)
    saved = tmp_path / "p.pyro"
    r = pyro("run", "--memory", "--event", "page-faults", "-o", str(saved), str(script))
    assert r.returncode == 0, r.stderr
    text = pyro("report", str(saved)).stdout
    assert "Lines by page-faults" in text and "\nMemory\n" in text, text

    def folded(metric: str) -> dict[str, int]:
        out = pyro("report", str(saved), "--metric", metric, "--format", "collapsed")
        assert out.returncode == 0, out.stderr
        return {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in out.stdout.splitlines()}

    def on_touch(weights: dict[str, int]) -> int:
        return sum(w for path, w in weights.items() if path.endswith("prog.py:8)") and ";touch (" in path)

    events, peak = folded("events"), folded("peak")
    meta = json.loads(pyro("report", str(saved), "--format", "json").stdout)["meta"]
    assert sum(events.values()) == int(meta["event_attributed"]) > 0
    assert on_touch(events) >= 0.9 * sum(events.values()), events
    assert on_touch(peak) >= 100 * MIB, peak  # the whole buffer was live at the peak
    assert events != peak


def test_context_switches_land_on_the_sleeping_line(tmp_path):
    if not EVENTS["context-switches"]["available"]:
        pytest.skip(f"context-switches: {EVENTS['context-switches']['reason']}")
    source = "import time\nfor _ in range(300):\n    time.sleep(0.0005)\n"
    doc, _ = profile(tmp_path, source, "--event", "context-switches", "--period", "10")
    per_line = line_events(doc)
    total = sum(per_line.values())
    assert total > 0 and per_line.get(("<module>", 3), 0) >= 0.8 * total, per_line


def test_unknown_event_lists_the_supported_ones(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("print('ran')\n")
    r = pyro("run", "--event", "page-fault", str(script))
    assert r.returncode == 2 and "ran" not in r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown event 'page-fault'" in lines[0]
    for name, e in EVENTS.items():
        assert name in lines[0]  # can, or cannot and why
        if not e["available"]:
            assert e["reason"] in lines[0]


def test_unavailable_event_says_why(tmp_path):
    missing = [e for e in EVENTS.values() if not e["available"]]
    if not missing:
        pytest.skip("this machine can sample every event (a PMU is exposed)")
    script = tmp_path / "prog.py"
    script.write_text("print('ran')\n")
    r = pyro("run", "--event", missing[0]["name"], str(script))
    assert r.returncode == 14 and "ran" not in r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and missing[0]["reason"] in lines[0] and "this machine can sample" in lines[0]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--period", "10"], ["--period", "--event"]),
        (["--mode", "trace", "--event", "page-faults"], ["--event", "--mode sample"]),
        (["--mode", "memory", "--event", "page-faults"], ["--event", "--mode sample"]),
        (["--event", "page-faults", "--period", "0"], ["--period", "at least 1"]),
        (["--metric", "events"], ["--metric"]),
        (["--event", "page-faults", "--metric", "peak"], ["--metric peak", "no memory"]),
        (["--event", "page-faults", "--metric", "events", "--format", "json"], ["--metric", "json"]),
        (["--event", "page-faults", "--blocking"], ["--blocking"]),
    ],
)
def test_bad_combinations_are_refused_before_the_program_runs(tmp_path, args, words):
    script = tmp_path / "prog.py"
    script.write_text("print('ran')\n")
    r = pyro("run", *args, str(script))
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "ran" not in r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyrometer: "), r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_report_metric_events_needs_an_event(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("print('ran')\n")
    saved = tmp_path / "p.pyro"
    assert pyro("run", "-o", str(saved), str(script)).returncode == 0
    r = pyro("report", str(saved), "--metric", "events", "--format", "collapsed")
    assert r.returncode == 2 and "--metric" in r.stderr and "run --event" in r.stderr


def test_api_sampler_event(tmp_path):
    """_core.Sampler(event=...) on this process: the counts reach the profile."""
    if not EVENTS["page-faults"]["available"]:
        pytest.skip(EVENTS["page-faults"]["reason"])
    with pytest.raises(ValueError, match="unknown event"):
        core.Sampler(event="nope")
    s = core.Sampler(rate=200, event="page-faults", period=50)
    s.start()
    # at once: the calling thread's event counts from start(), not from the
    # sampler's first round (a few ms later on a busy machine). Fresh pages
    # of an anonymous mapping, each written once: a heap buffer could reuse
    # pages an earlier test already faulted in (3.15t's allocator does)
    page = os.sysconf("SC_PAGE_SIZE")
    buf = mmap.mmap(-1, 32 * MIB)
    for i in range(0, 32 * MIB, page):
        buf[i] = 1
    s.stop()
    p = s.take()
    assert p.meta["event"] == "page-faults"
    # each page of the buffer faulted in once, by this thread, after start()
    assert int(p.meta["event_counted"]) >= 0.9 * (32 * MIB // page), p.meta
    assert "events" in p.columns and len(buf) == 32 * MIB
    buf.close()
    assert sys.getrefcount(s) >= 1


# ==== run --mode trace --counters ====


def counter_rows(doc: dict, event: str) -> dict[str, tuple[int, int]]:
    """(own, with callees) per function name, recursion counted once, from the JSON nodes."""
    fields = doc["node_fields"]
    own, total = fields.index(event), fields.index(f"{event}_total")
    nodes = doc["nodes"]
    out: dict[str, list[int]] = {}
    for row in nodes:
        name = doc["functions"][row[2]]["name"]
        up, outer = row[0], True
        while up >= 0:
            if nodes[up][2] == row[2]:
                outer = False
            up = nodes[up][0]
        acc = out.setdefault(name, [0, 0])
        acc[0] += row[own]
        acc[1] += row[total] if outer else 0
    return {k: (v[0], v[1]) for k, v in out.items()}


@needs_gil
@needs_faults
def test_trace_counters_give_each_function_its_exact_share(tmp_path):
    doc, stdout = profile(tmp_path, TOUCH, "--mode", "trace", "--counters", "page-faults,context-switches")
    assert stdout.strip() == str(100 * MIB)
    assert doc["meta"]["counters"] == "page-faults,context-switches"
    rows = counter_rows(doc, "page-faults")
    own, total = rows["touch"]
    # the buffer's pages, each faulted in once, by touch itself (no Python callee does it)
    assert own == total and own >= 0.9 * sum(o for o, _ in rows.values()), rows
    # a node's count with callees is its own plus its children's, on every node
    fields = doc["node_fields"]
    own_col, total_col = fields.index("page-faults"), fields.index("page-faults_total")
    nodes = doc["nodes"]
    for i, row in enumerate(nodes):
        children = sum(r[total_col] for r in nodes if r[0] == i)
        assert row[total_col] == row[own_col] + children, (i, row)
    # every count is somebody's own: the roots' totals add up to the owns
    roots = sum(r[fields.index("page-faults_total")] for r in doc["nodes"] if r[0] < 0)
    assert roots == sum(o for o, _ in rows.values())


@needs_gil
@needs_faults
def test_trace_counters_table(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(TOUCH)
    r = pyro("run", "--mode", "trace", "--counters", "page-faults", str(script))
    assert r.returncode == 0, r.stderr
    part = r.stderr.split("Counters per function")[1].splitlines()
    assert "page-faults" in part[2] and "own" in part[3] and "total" in part[3]
    first = part[4].split()
    assert first[-1].endswith("(<module>)") or first[-1].endswith("(touch)")  # the biggest total first
    touch = next(line.split() for line in part[4:] if line.endswith("(touch)"))
    assert int(touch[0]) == int(touch[1]) > 10000


@pytest.mark.parametrize(
    "args, words, status",
    [
        (["--mode", "trace", "--counters", "page-fault"], ["unknown event 'page-fault'", "can sample"], 2),
        (["--mode", "trace", "--counters", "page-faults,page-faults"], ["twice"], 2),
        (["--mode", "trace", "--counters", "a,b,c,d,e"], ["1 to 4"], 2),
        (["--counters", "page-faults"], ["--counters", "--mode trace"], 2),
        (["--mode", "lines", "--counters", "page-faults"], ["--counters", "--mode trace"], 2),
    ],
)
def test_trace_counters_refused(tmp_path, args, words, status):
    script = tmp_path / "prog.py"
    script.write_text("print('ran')\n")
    r = pyro("run", *args, str(script))
    assert r.returncode == status and "ran" not in r.stdout, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_trace_counter_this_machine_lacks(tmp_path):
    missing = [e for e in EVENTS.values() if not e["available"]]
    if not missing:
        pytest.skip("this machine can count every event (a PMU is exposed)")
    script = tmp_path / "prog.py"
    script.write_text("print('ran')\n")
    r = pyro("run", "--mode", "trace", "--counters", f"page-faults,{missing[0]['name']}", str(script))
    assert r.returncode == 14 and "ran" not in r.stdout
    assert missing[0]["reason"] in r.stderr and len(r.stderr.strip().splitlines()) == 1


# ==== attach --event ====


@needs_faults
def test_attach_event_samples_another_process(tmp_path):
    import subprocess

    script = tmp_path / "faulting.py"
    script.write_text(BURSTS.format(clock="time", seconds=30))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        out = tmp_path / "a.json"
        r = pyro(
            "attach", str(child.pid), "--duration", "1", "--event", "page-faults", "--period", "100", "-o", str(out)
        )
        assert r.returncode == 0, r.stderr
        assert "and on page-faults" in r.stderr
        doc = json.loads(out.read_text())
        per_line = line_events(doc)
        attributed = int(doc["meta"]["event_attributed"])
        assert attributed == sum(per_line.values()) > 0
        # from outside, the stack is read a little after the kernel's wake-up: the events land on
        # the loop's lines (the line that made them, or the next ones: docs/events.md)
        assert sum(v for (f, line), v in per_line.items() if f == "<module>" and 3 <= line <= 7) == attributed
        missing = [e for e in EVENTS.values() if not e["available"]]
        if missing:
            r = pyro("attach", str(child.pid), "--duration", "1", "--event", missing[0]["name"])
            assert r.returncode == 14 and missing[0]["reason"] in r.stderr
        r = pyro("attach", str(child.pid), "--duration", "1", "--period", "5")
        assert r.returncode == 2 and "--period" in r.stderr
    finally:
        child.kill()
        child.wait()
