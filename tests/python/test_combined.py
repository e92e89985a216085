"""`pyrometer run --memory`: sampling and memory tracking in one run, one
sample profile that also carries the memory columns: the line that computes
and the line that allocates both right in one run, the combined report,
`report FILE`, `--metric` for flame graphs, `--format lines`, the options
--memory takes and the modes that refuse it (one line, status 2)."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import one_line_refusal as _refusal
from conftest import pyro, target
from memory_json import by_line, marker_lines, negatives

from pyrometer import _core

EXIT_USAGE = 2
MIB = 1024 * 1024
COMBO = target("combo.py")
MARK = marker_lines(COMBO)

EXIT_NOGIL = 8
GIL = getattr(sys, "_is_gil_enabled", lambda: True)()

pytestmark = pytest.mark.skipif(not hasattr(_core, "MemoryTracker"), reason="this build has no MemoryTracker")
needs_gil = pytest.mark.skipif(
    not GIL, reason="memory tracking needs the GIL (without it, run --memory is refused: test_refused_without_the_gil)"
)


def samples_by_line(doc: dict) -> dict[int, int]:
    """Samples per line of combo.py, over every node that ends there."""
    fields = doc["node_fields"]
    out: dict[int, int] = {}
    for row in doc["nodes"]:
        func = doc["functions"][row[fields.index("function")]]
        if func["file"].endswith("combo.py"):
            line = row[fields.index("line")]
            out[line] = out.get(line, 0) + row[fields.index("samples")]
    return out


def memory_of(doc: dict, marker: str) -> dict[str, int]:
    """The memory metrics of combo.py's line `marker`."""
    for (file, line), sums in by_line(doc).items():
        if file.endswith("combo.py") and line == MARK[marker]:
            return sums
    return dict.fromkeys(("alloc_bytes", "allocs", "freed_bytes", "peak_bytes", "leaked_bytes"), 0)


def run_json(tmp_path, *options: str) -> dict:
    out = tmp_path / "c.json"
    r = pyro("run", "--memory", *options, "-o", str(out), COMBO)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "combo ran\n"
    with open(out) as f:
        return json.load(f)


@pytest.mark.parametrize("options", [[], ["--exact"]], ids=["sampled", "exact"])
@needs_gil
def test_cpu_and_memory_in_one_run(tmp_path, options):
    """The hot line has the most samples; the allocating lines have their
    bytes (large allocations are exact in sampled mode too); one profile of
    mode sample with the memory columns."""
    doc = run_json(tmp_path, *options)
    assert doc["meta"]["mode"] == "sample"
    for name in ("samples", "self_ns", "cpu_ns", "alloc_bytes", "peak_bytes", "leaked_bytes", "freed_bytes"):
        assert name in doc["node_fields"], name
    assert doc["meta"]["mem_interval"] == ("0" if options else str(_core.MEMORY_SAMPLE_BYTES_DEFAULT))
    samples = samples_by_line(doc)
    assert samples, doc["meta"]
    hot = samples.get(MARK["HOT"], 0)
    assert hot == max(samples.values()) and hot > 0, samples
    keep, temp = memory_of(doc, "KEEP"), memory_of(doc, "TEMP")
    assert abs(keep["alloc_bytes"] - 32 * MIB) <= 0.01 * 32 * MIB, keep
    assert abs(keep["leaked_bytes"] - 32 * MIB) <= 0.01 * 32 * MIB, keep
    assert abs(keep["peak_bytes"] - 32 * MIB) <= 0.01 * 32 * MIB, keep
    assert abs(temp["alloc_bytes"] - 16 * MIB) <= 0.01 * 16 * MIB, temp
    assert temp["leaked_bytes"] < 0.01 * 16 * MIB, temp
    assert not negatives(doc)


@needs_gil
def test_the_report_shows_time_beside_memory():
    r = pyro("run", "--memory", COMBO, "3")
    assert r.returncode == 3, r.stderr  # the program's status passes through
    assert r.stdout == "combo ran\n"
    err = r.stderr
    assert "sample profile with memory of" in err
    lines = err.split("Lines: time and memory", 1)[1].split("\n\n", 1)[0]
    rows = lines.splitlines()[2:]
    keep = [row for row in rows if f"combo.py:{MARK['KEEP']} keep" in row]
    hot = [row for row in rows if f"combo.py:{MARK['HOT']} hot" in row]
    assert keep and hot, lines
    assert keep[0].count("32.0 MiB") == 3, keep  # allocated, net (live at exit), at peak
    assert "%" in hot[0]
    for section in ("Threads", "\nMemory\n", "Summary", "peak of the heap", "Leaks: live at exit, by stack"):
        assert section in err, section
    assert "Hottest lines" not in err


@needs_gil
def test_report_file_and_metrics(tmp_path):
    """A .pyro of run --memory keeps both; report FILE shows the combined
    view; --metric weighs folded stacks by time (cpu, the default) or by the
    bytes of a memory metric; --format lines shows the memory columns."""
    prof = tmp_path / "c.pyro"
    r = pyro("run", "--memory", "-o", str(prof), COMBO)
    assert r.returncode == 0, r.stderr
    r = pyro("report", str(prof))
    assert r.returncode == 0, r.stderr
    assert "Lines: time and memory" in r.stdout and "peak of the heap" in r.stdout
    weights = {}
    for metric in (None, "cpu", "peak", "allocated", "leaked"):
        out = tmp_path / f"{metric}.collapsed"
        r = pyro("report", str(prof), *(["--metric", metric] if metric else []), "-o", str(out))
        assert r.returncode == 0, r.stderr
        weights[metric] = {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in out.read_text().splitlines()}
    assert weights[None] == weights["cpu"]

    def of(metric: str, func: str) -> int:
        return sum(v for stack, v in weights[metric].items() if stack.rsplit(";", 1)[-1].startswith(func + " "))

    assert of("cpu", "hot") > of("cpu", "keep")
    for metric in ("peak", "leaked"):
        assert abs(of(metric, "keep") - 32 * MIB) <= 0.01 * 32 * MIB, (metric, weights[metric])
    assert abs(of("peak", "churn") - 16 * MIB) <= 0.01 * 16 * MIB  # the peak: both buffers live
    assert of("leaked", "churn") == 0
    assert abs(of("allocated", "churn") - 16 * MIB) <= 0.01 * 16 * MIB
    svg = tmp_path / "c.svg"
    r = pyro("report", str(prof), "--metric", "leaked", "-o", str(svg))
    assert r.returncode == 0, r.stderr
    assert "bytes leaked" in svg.read_text()
    r = pyro("report", str(prof), "--format", "lines", "--function", "keep")
    assert r.returncode == 0, r.stderr
    assert "Allocated    At peak" in r.stdout and "32.0 MiB" in r.stdout
    r = pyro("report", str(prof), "--metric", "allocated")
    assert r.returncode == 0, r.stderr
    assert "by bytes allocated" in r.stdout


@needs_gil
def test_run_writes_flame_graph_by_metric(tmp_path):
    out = tmp_path / "c.collapsed"
    r = pyro("run", "--memory", "--metric", "peak", "-o", str(out), COMBO)
    assert r.returncode == 0, r.stderr
    keep = [line for line in out.read_text().splitlines() if line.split(";")[-1].startswith("keep ")]
    assert keep and abs(int(keep[0].rsplit(" ", 1)[1]) - 32 * MIB) <= 0.01 * 32 * MIB


@needs_gil
def test_timeline_chart(tmp_path):
    """-o x.timeline.svg: RSS and the heap over time, as for memory mode; a sample profile without
    memory has none (refused in one line, on run and on report)."""
    out = tmp_path / "c.timeline.svg"
    r = pyro("run", "--memory", "-o", str(out), COMBO)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert text.startswith("<?xml") and "RSS" in text and "heap" in text
    one_line_refusal(pyro("run", "-o", str(tmp_path / "s.timeline.svg"), COMBO), "--format timeline", "--memory")
    prof = tmp_path / "s.pyro"
    assert pyro("run", "-o", str(prof), COMBO).returncode == 0
    r = pyro("report", str(prof), "--format", "timeline")
    assert r.returncode == EXIT_USAGE and "--memory" in r.stderr


def one_line_refusal(r, *words: str) -> None:
    _refusal(r, *words, never_ran="combo ran")


@pytest.mark.parametrize("mode", ["trace", "lines", "memory"])
def test_memory_flag_refused_in_other_modes(mode):
    one_line_refusal(pyro("run", "--mode", mode, "--memory", COMBO), "--memory", "--mode sample")


@pytest.mark.parametrize(
    "options, words",
    [
        (["--exact", "--sample-bytes", "64K"], ("--sample-bytes", "--exact")),
        (["--blocking"], ("--blocking",)),
        (["--metric", "peak", "--format", "json"], ("--metric", "json")),
        (["--metric", "peak", "--format", "table"], ("--metric", "table")),
    ],
)
def test_memory_flag_refusals(options, words):
    one_line_refusal(pyro("run", "--memory", *options, COMBO), *words)


def test_memory_options_need_the_flag_in_sample_mode():
    one_line_refusal(pyro("run", "--exact", COMBO), "--exact", "--memory")


@needs_gil
def test_metric_cpu_refused_for_a_memory_profile(tmp_path):
    one_line_refusal(pyro("run", "--mode", "memory", "--metric", "cpu", COMBO), "--metric cpu")
    prof = tmp_path / "m.pyro"
    r = pyro("run", "--mode", "memory", "-o", str(prof), COMBO)
    assert r.returncode == 0, r.stderr
    r = pyro("report", str(prof), "--metric", "cpu")
    assert r.returncode == EXIT_USAGE and "--metric cpu" in r.stderr


@needs_gil
def test_sample_bytes_with_memory(tmp_path):
    doc = run_json(tmp_path, "--sample-bytes", "64K")
    assert doc["meta"]["mem_interval"] == str(64 * 1024)
    keep = memory_of(doc, "KEEP")
    assert abs(keep["alloc_bytes"] - 32 * MIB) <= 0.01 * 32 * MIB, keep


@needs_gil
def test_rate_with_memory(tmp_path):
    """run --memory samples at RATE_MEMORY (its hooks already cost the
    program; see core/record/sampler.h) unless --rate is given."""
    assert _core.RATE_MEMORY < _core.RATE_DEFAULT
    assert float(run_json(tmp_path)["meta"]["rate_hz"]) == _core.RATE_MEMORY
    assert float(run_json(tmp_path, "--rate", "1000")["meta"]["rate_hz"]) == 1000
    r = pyro("run", "--help")
    assert f"run --memory takes {_core.RATE_MEMORY:g} unless given" in " ".join(r.stdout.split())


def test_help_describes_memory_flag():
    r = pyro("run", "--help")
    assert r.returncode == 0
    assert "--memory" in r.stdout and "cpu" in r.stdout


@pytest.mark.skipif(GIL, reason="this Python runs with the GIL")
def test_refused_without_the_gil():
    """A free-threaded Python running without the GIL: one line, status 8, the program not started."""
    r = pyro("run", "--memory", COMBO)
    assert r.returncode == EXIT_NOGIL, r.stderr
    assert "--memory needs the GIL" in r.stderr and "PYTHON_GIL=1" in r.stderr
    assert "combo ran" not in r.stdout
