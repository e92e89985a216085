"""`pyrometer bench` and `pyrometer.bench`: timing with statistics and a
verdict. Exactness is judged where the truth is known: a sleep never runs
short (so the mean is at least its length, and the median close above it),
and statements that burn a fixed amount of CPU time (judged by CPU time,
which a busy machine does not inflate) have a known ratio. The bench's own
duration is never asserted; few workers and short values keep the tests
short."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import pyro

# a statement that burns `d` seconds of this process's CPU time (overshooting
# by one process_time() call, about a microsecond)
SPIN = (
    "import time\ndef spin(d):\n    end = time.process_time() + d\n    while time.process_time() < end:\n        pass"
)
FEW = ("-p", "3", "-n", "3", "--min-time", "0.02")


def bench(tmp_path, *args: str, out: str = "r.json"):
    path = tmp_path / out
    r = pyro("bench", "-o", str(path), *args, cwd=tmp_path)
    doc = json.loads(path.read_text()) if r.returncode in (0, 13) else None
    return r, doc


def test_sleep_is_reported_at_its_length(tmp_path):
    r, doc = bench(tmp_path, "-p", "2", "-n", "3", "--min-time", "0.05", "-v", "-s", "import time", "time.sleep(0.01)")
    assert r.returncode == 0, r.stderr
    (b,) = doc["benchmarks"]
    st = b["stats"]["wall"]
    # calibrated: each value lasts at least --min-time (5 sleeps or more)
    assert b["loops"] >= 5 and b["workers"] == 2 and len(b["wall"]) == 6
    # a sleep never runs short; on a busy machine it may run long, rarely by half
    assert st["min"] >= 0.0099 and st["mean"] >= 0.01
    assert st["median"] < 0.015, st
    assert "time.sleep(0.01)\n  10." in r.stdout and " ms \u00b1 " in r.stdout
    assert "per loop (mean \u00b1 std dev, wall time)" in r.stdout
    assert f"6 values of {b['loops']} loops, from 2 worker processes" in r.stdout
    assert "#" in r.stdout  # --verbose: the histogram
    assert "busy" not in r.stdout  # sleeping is not a sign of a busy machine


def test_identical_statements_are_not_significantly_different(tmp_path):
    r, doc = bench(
        tmp_path, "--compare", "--clock", "cpu", "--confidence", "0.999", *FEW, "sum(range(3000))", "sum(range(3000))"
    )
    assert r.returncode == 0, r.stderr
    (c,) = doc["comparisons"]
    assert not c["significant"], c
    assert c["lo"] <= 1.0 <= c["hi"]
    assert c["df"] <= 4.0 + 1e-9  # the units are the 3 workers' means (df at most 3 + 3 - 2)
    assert "B vs A: no significant difference" in r.stdout
    assert "Welch's t-test on log times" in r.stdout
    # identical statements are calibrated once: the same loops
    assert doc["benchmarks"][0]["loops"] == doc["benchmarks"][1]["loops"]


def test_ten_times_faster_with_an_interval_around_the_true_ratio(tmp_path):
    r, doc = bench(tmp_path, "--compare", "--clock", "cpu", *FEW, "-s", SPIN, "spin(0.002)", "spin(0.0002)")
    assert r.returncode == 0, r.stderr
    (c,) = doc["comparisons"]
    assert c["significant"] and c["speedup"] > 1
    # the true ratio of CPU time is 10, less the overshoot of each spin (a few
    # microseconds at most: 3% of the short one)
    assert c["lo"] <= 10.0 * 1.01 and c["hi"] >= 10.0 * 0.97, c
    assert "B is " in r.stdout and "x faster than A (95% CI " in r.stdout and "significant" in r.stdout


# The true speedup is 10. The interval's units are the workers' means: with 3
# workers (df 2 to 4) its lower bound falls below 3 only if their log times
# have a standard deviation of a third or more. With 2 workers (df 2 at most),
# a busy machine once put it at 4.5 against 5 (a standard deviation of 0.19).
@pytest.mark.parametrize(("threshold", "status"), [("3", 0), ("40", 13)])
def test_min_speedup_gates(tmp_path, threshold, status):
    r, _ = bench(
        tmp_path, "--compare", "--clock", "cpu", "-p", "3", "-n", "3", "--min-time", "0.01", "-s", SPIN,
        "spin(0.002)", "spin(0.0002)", "--min-speedup", threshold,
    )  # fmt: skip
    assert r.returncode == status, r.stderr
    if status:
        assert "not shown to be at least 40x" in r.stderr


def test_check_output_names_the_first_difference(tmp_path):
    r, _ = bench(tmp_path, "--compare", "--check-output", "-p", "1", "-n", "2", "--min-time", "0.005",
                 "sum(range(10))", "sum(range(10))", "sum(range(9))")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "output of C differs from A's, first at line 1: A '45', C '36'" in r.stderr
    assert "output of B differs" not in r.stderr


@pytest.mark.parametrize(("setup", "stmt", "error"), [
    ("pass", "1/0", "ZeroDivisionError"),
    ("import no_such_module_here", "pass", "ModuleNotFoundError"),
    ("pass", "1/", "SyntaxError"),
])  # fmt: skip
def test_a_raising_statement_is_not_timed(tmp_path, setup, stmt, error):
    r = pyro("bench", "-p", "1", "-n", "1", "-s", setup, stmt, cwd=tmp_path)
    assert r.returncode == 1
    assert error in r.stderr
    assert "Traceback" in r.stderr or error == "SyntaxError"
    assert "no timing" in r.stderr.splitlines()[-1]
    assert "per loop" not in r.stdout and "_benchworker" not in r.stderr


def test_json_round_trip_and_compare_to(tmp_path):
    r, doc = bench(tmp_path, "-p", "2", "-n", "2", "--min-time", "0.01", "-s", SPIN, "spin(0.001)", out="old.json")
    assert r.returncode == 0, r.stderr
    assert doc["pyrometer_bench"] == 1 and doc["python"] == sys.version.split()[0]
    (b,) = doc["benchmarks"]
    assert b["name"] == "spin(0.001)" and b["kind"] == "statement"
    assert len(b["wall"]) == len(b["cpu"]) == 4 and b["stats"]["cpu"]["n"] == 4
    assert len(b["maxrss"]) == 2  # one peak RSS per worker
    r = pyro("bench", "--compare-to", "old.json", "--clock", "cpu", "-p", "2", "-n", "2", "--min-time", "0.01",
             "-s", SPIN, "spin(0.0001)", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "A: spin(0.001) (from old.json)" in r.stdout and "B: spin(0.0001) (this run)" in r.stdout
    assert "B is " in r.stdout and "faster than A" in r.stdout
    (tmp_path / "bad.json").write_text("{}")
    r = pyro("bench", "--compare-to", "bad.json", "pass", cwd=tmp_path)
    assert r.returncode == 4 and "not a result of pyrometer bench" in r.stderr
    r = pyro("bench", "--compare-to", "missing.json", "pass", cwd=tmp_path)
    assert r.returncode == 4 and "cannot read" in r.stderr


def test_a_script_is_timed_whole_with_its_start_up(tmp_path):
    (tmp_path / "job.py").write_text("import sys\nprint(sum(range(int(sys.argv[1]))))\n")
    r, doc = bench(tmp_path, "-p", "3", "job.py", "1000")
    assert r.returncode == 0, r.stderr
    (b,) = doc["benchmarks"]
    assert b["kind"] == "script" and b["name"] == "job.py 1000" and len(b["wall"]) == 3 and b["loops"] == 1
    assert len(b["startup"]) == 3 and all(s > 0 for s in b["startup"])
    assert "interpreter start-up (python -c pass)" in r.stdout
    assert "499500" not in r.stdout  # the script's output is not mixed into the report
    # each run's peak RSS, from wait4: a Python process holds a few MiB at least
    assert len(b["maxrss"]) == 3 and all(v > 1 << 20 for v in b["maxrss"])
    assert "max RSS " in r.stdout and "(mean of 3 processes; " in r.stdout
    (tmp_path / "bad.py").write_text("raise SystemExit('broken')\n")
    r = pyro("bench", "-p", "2", "bad.py", cwd=tmp_path)
    assert r.returncode == 1 and "broken" in r.stderr and "per loop" not in r.stdout


@pytest.mark.parametrize(("args", "words"), [
    ((), ("nothing to time",)),
    (("a", "b"), ("--compare",)),
    (("--compare", "a"), ("two",)),
    (("--min-speedup", "2", "pass"), ("--min-speedup", "--compare")),
    (("--confidence", "1.5", "pass"), ("--confidence",)),
    (("-o", "/no/such/dir/r.json", "pass"), ("cannot write",)),
])  # fmt: skip
def test_usage_errors(tmp_path, args, words):
    r = pyro("bench", *args, cwd=tmp_path)
    assert r.returncode == (3 if "-o" in args else 2), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    for w in words:
        assert w in r.stderr


def test_api_in_process():
    import pyrometer
    from pyrometer import _core

    def work(n, *, step=1):
        return sum(range(0, n, step))

    b = pyrometer.Bench.run(work, (2000,), {"step": 2}, values=3, min_time=0.005)
    assert isinstance(b, pyrometer.Bench) and b.workers == 0 and b.kind == "function"
    assert len(b.wall) == len(b.cpu) == 3 and b.loops >= 1
    st = b.stats("cpu")
    assert st["n"] == 3 and st["min"] <= st["median"] <= st["max"]
    text = b.report()
    assert "work" in text and "in this process" in text
    assert pyrometer.bench is not None and callable(pyrometer.bench)
    # the statistics are the engine's
    assert _core.bench_stats([4.0, 100.0, 1.0, 3.0, 2.0])["outliers"] == 1
    with pytest.raises(ValueError):
        _core.bench_compare([1.0], [1.0, 2.0])
    same = pyrometer.Bench("x", [1.0, 1.1, 0.9], [1.0, 1.1, 0.9], 1, 0)
    assert not same.compare(same)["significant"]


def test_compare_scripts_with_check_output(tmp_path):
    (tmp_path / "slow.py").write_text("import sys\nprint(sum(i for i in range(int(sys.argv[1]))))\nprint('done')\n")
    (tmp_path / "fast.py").write_text("import sys\nn = int(sys.argv[1])\nprint(n * (n - 1) // 2 + 1)\nprint('done')\n")
    r, doc = bench(tmp_path, "--compare", "--check-output", "-p", "2", "-w", "0", "slow.py 1000", "fast.py 1000")
    assert r.returncode == 0, r.stderr
    assert [b["kind"] for b in doc["benchmarks"]] == ["script", "script"]
    assert "A: slow.py 1000" in r.stdout and "B: fast.py 1000" in r.stdout
    assert "output of B differs from A's, first at line 1: A '499500', B '499501'" in r.stderr
    # scripts compared are checked without being asked to
    r, _ = bench(tmp_path, "--compare", "-p", "2", "-w", "0", "slow.py 1000", "fast.py 1000")
    assert r.returncode == 0, r.stderr
    assert "output of B differs from A's, first at line 1: A '499500', B '499501'" in r.stderr
    r = pyro("bench", "--compare", "-p", "2", "slow.py 1000", "pass", cwd=tmp_path)
    assert r.returncode == 2 and "scripts with scripts" in r.stderr


def test_max_rss_of_the_workers(tmp_path):
    r, doc = bench(tmp_path, "-p", "2", "-n", "1", "-w", "0", "--min-time", "0.001",
                   "-s", "big = b'x' * (100 << 20)", "len(big)")  # fmt: skip
    assert r.returncode == 0, r.stderr
    (b,) = doc["benchmarks"]
    # a fresh, touched 100 MiB buffer is resident in each worker (its peak, from getrusage)
    assert len(b["maxrss"]) == 2 and all(v >= 100 << 20 for v in b["maxrss"]), b["maxrss"]
    assert "max RSS 1" in r.stdout and "MiB (mean of 2 processes" in r.stdout


#: 256 fresh pages per loop: a new 1 MiB mapping (too small for a huge page), each page written once
FRESH_PAGES = ("-s", "import mmap", "m = mmap.mmap(-1, 1 << 20); m[::4096] = b'x' * 256; m.close()")


def test_counters_per_loop_and_per_run(tmp_path):
    r, doc = bench(tmp_path, "-p", "2", "-n", "2", "--min-time", "0.01", *FRESH_PAGES)
    assert r.returncode == 0, r.stderr
    (b,) = doc["benchmarks"]
    faults = b["counters"]["page-faults"]
    # the kernel's count in each worker over its timed values, per loop: the 256 pages, once each
    assert len(faults) == 2 and all(250 <= v <= 300 for v in faults), faults
    assert len(b["counters"]["context-switches"]) == 2
    assert "per loop: 2" in r.stdout and "page-faults" in r.stdout and "(mean of 2 processes)" in r.stdout
    # a script: per run, from wait4 (its start-up's faults too)
    (tmp_path / "touch.py").write_text("import mmap\nfor _ in range(40):\n    m = mmap.mmap(-1, 1 << 20)\n"
                                       "    m[::4096] = b'x' * 256\n    m.close()\n")  # fmt: skip
    r, doc = bench(tmp_path, "-p", "2", "touch.py", out="s.json")
    assert r.returncode == 0, r.stderr
    (b,) = doc["benchmarks"]
    assert all(v >= 40 * 256 for v in b["counters"]["page-faults"]), b["counters"]
    assert "per run: " in r.stdout and "(mean of 2 runs)" in r.stdout
    # kept by -o and read back by --compare-to
    r2 = pyro("bench", "--compare-to", str(tmp_path / "s.json"), "-p", "2", "touch.py", cwd=tmp_path)
    assert r2.returncode == 0 and r2.stdout.count("per run: ") == 2, r2.stdout


def test_counters_in_process():
    import pyrometer

    b = pyrometer.bench(lambda: bytes(10))
    assert set(b.counters) >= {"page-faults", "context-switches"}
    assert "per loop: " in b.report()
