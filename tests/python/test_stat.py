"""pyrometer stat: its figures agree with getrusage and with /usr/bin/time -v
on the same command, the perf events with the rusage, the command runs as
under a shell (streams, exit status, 127/126, signals), -r N's statistics
and the JSON schema (docs/stat.md). Never a wall-clock assertion: the
machine may be busy."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys

import pytest
from conftest import PYRO_MODULE, pyro, run

MIB = 1024 * 1024
#: touches 100 MiB (bytes * N writes every page), then exits
TOUCH = f"b = b'\\x01' * {100 * MIB}"
#: a pure-CPU child whose CPU time is its own
BUSY = "sum(i * i for i in range(2_000_000))"
FIGURES = (
    "wall_s",
    "user_s",
    "sys_s",
    "cpu_percent",
    "maxrss_bytes",
    "minor_faults",
    "major_faults",
    "voluntary_switches",
    "involuntary_switches",
    "fs_inputs",
    "fs_outputs",
)
EVENTS = (
    "task-clock",
    "page-faults",
    "minor-faults",
    "major-faults",
    "context-switches",
    "cpu-migrations",
    "cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "branches",
    "branch-misses",
)
#: what a plain run's RUSAGE_CHILDREN says about one command (a fresh parent, so
#: that the maximum RSS is this child's and no other's)
RUSAGE_OF = """
import json, resource, subprocess, sys
subprocess.run(sys.argv[1:], check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"user_s": r.ru_utime, "sys_s": r.ru_stime, "maxrss_bytes": r.ru_maxrss * 1024,
                  "minor_faults": r.ru_minflt, "major_faults": r.ru_majflt}))
"""


def stat_json(tmp_path, *args: str, runs: int = 1) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "stat.json"
    r = pyro("stat", "-r", str(runs), "-o", str(out), "--", *args)
    assert out.exists(), (r.returncode, r.stderr)
    return r, json.loads(out.read_text())


def plain_rusage(*args: str) -> dict:
    r = run([sys.executable, "-c", RUSAGE_OF, *args])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def near(a: float, b: float, rel: float, slack: float = 0) -> bool:
    """Within `rel` of the larger, or `slack` apart."""
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), slack)


#: page faults of two runs of the same command differ by the interpreter's
#: start-up (ASLR, the environment) and, where transparent huge pages back the
#: buffer, by far fewer faults in all: allow this many apart
FAULT_SLACK = 1000


def mean_of(doc: dict, figure: str) -> float:
    return doc["figures"][figure]["mean"]


# ==== the figures agree with getrusage and /usr/bin/time -v ====


def test_memory_figures_agree_with_getrusage(tmp_path):
    r, doc = stat_json(tmp_path, sys.executable, "-c", TOUCH)
    assert r.returncode == 0, r.stderr
    plain = plain_rusage(sys.executable, "-c", TOUCH)
    assert mean_of(doc, "maxrss_bytes") >= 100 * MIB
    assert near(mean_of(doc, "maxrss_bytes"), plain["maxrss_bytes"], 0.10), (doc["figures"], plain)
    # 100 MiB of fresh pages: ~25,600 faults (fewer with huge pages), the same either way
    assert near(mean_of(doc, "minor_faults"), plain["minor_faults"], 0.15, FAULT_SLACK), (doc["figures"], plain)


def test_the_same_run_as_getrusage_of_pyrometer(tmp_path):
    """RUSAGE_CHILDREN around `pyrometer stat` holds pyrometer's own Python
    and the command: never less than what stat reports for the command."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r, doc = stat_json(tmp_path, sys.executable, "-c", BUSY)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert r.returncode == 0, r.stderr
    tick = 0.011  # rusage's times are rounded to the kernel's tick
    assert mean_of(doc, "user_s") <= after.ru_utime - before.ru_utime + tick
    assert mean_of(doc, "sys_s") <= after.ru_stime - before.ru_stime + tick
    assert mean_of(doc, "minor_faults") <= after.ru_minflt - before.ru_minflt
    assert mean_of(doc, "user_s") > 0


def test_cpu_time_agrees_with_getrusage(tmp_path):
    """Compared by CPU time, never by wall: a busy machine stretches the
    wall clock, not the work."""
    r, doc = stat_json(tmp_path, sys.executable, "-c", BUSY)
    assert r.returncode == 0, r.stderr
    plain = plain_rusage(sys.executable, "-c", BUSY)
    ours = mean_of(doc, "user_s") + mean_of(doc, "sys_s")
    theirs = plain["user_s"] + plain["sys_s"]
    assert 0.5 < ours / theirs < 2.0, (ours, theirs)
    cpu = 100 * ours / mean_of(doc, "wall_s")
    assert abs(mean_of(doc, "cpu_percent") - cpu) < 0.01 * cpu + 0.01


def time_v(*args: str) -> dict[str, float]:
    r = run(["/usr/bin/time", "-v", *args])
    assert r.returncode == 0, r.stderr
    fields = {
        "maxrss_bytes": r"Maximum resident set size \(kbytes\): (\d+)",
        "minor_faults": r"Minor \(reclaiming a frame\) page faults: (\d+)",
        "user_s": r"User time \(seconds\): ([\d.]+)",
        "sys_s": r"System time \(seconds\): ([\d.]+)",
    }
    got = {}
    for key, pattern in fields.items():
        m = re.search(pattern, r.stderr)
        assert m, (pattern, r.stderr)
        got[key] = float(m.group(1)) * (1024 if key == "maxrss_bytes" else 1)
    return got


@pytest.mark.skipif(not os.access("/usr/bin/time", os.X_OK), reason="Debian's time (/usr/bin/time) is not installed")
def test_figures_agree_with_time_v(tmp_path):
    r, doc = stat_json(tmp_path, sys.executable, "-c", TOUCH)
    assert r.returncode == 0, r.stderr
    theirs = time_v(sys.executable, "-c", TOUCH)
    assert near(mean_of(doc, "maxrss_bytes"), theirs["maxrss_bytes"], 0.10), (doc["figures"], theirs)
    assert near(mean_of(doc, "minor_faults"), theirs["minor_faults"], 0.15, FAULT_SLACK), (doc["figures"], theirs)
    r, doc = stat_json(tmp_path, sys.executable, "-c", BUSY)
    theirs = time_v(sys.executable, "-c", BUSY)
    ours = mean_of(doc, "user_s") + mean_of(doc, "sys_s")
    assert 0.5 < ours / (theirs["user_s"] + theirs["sys_s"] + 0.01) < 2.0, (ours, theirs)


def test_page_faults_event_agrees_with_rusage(tmp_path):
    r, doc = stat_json(tmp_path, sys.executable, "-c", TOUCH)
    assert r.returncode == 0, r.stderr
    ev = doc["events"]["page-faults"]
    if not ev["available"]:
        pytest.skip(f"page-faults cannot be counted here: {ev['reason']}")
    rusage = mean_of(doc, "minor_faults") + mean_of(doc, "major_faults")
    # the event starts at exec; rusage also counts the child's faults before it
    assert ev["mean"] <= rusage
    assert rusage - ev["mean"] < 0.05 * rusage + 500, (ev, rusage)
    assert doc["events"]["minor-faults"]["mean"] + doc["events"]["major-faults"]["mean"] == ev["mean"]
    task = doc["events"]["task-clock"]
    if task["available"]:
        cpu = mean_of(doc, "user_s") + mean_of(doc, "sys_s")
        assert 0.5 < task["mean"] / 1e9 / (cpu + 0.01) < 2.0, (task, cpu)


# ==== the command runs as under a shell ====


def test_streams_and_status_pass_through(pyro_cmd):
    r = run(
        [*pyro_cmd, "stat", "--", "sh", "-c", "cat; echo out; echo err >&2; exit 7"],
        input="from stdin\n",
    )
    assert r.returncode == 7, r.stderr
    assert r.stdout == "from stdin\nout\n"
    assert r.stderr.startswith("err\n")
    assert "exit status 7" in r.stderr and "max RSS" in r.stderr


def test_command_without_double_dash():
    r = pyro("stat", "sh", "-c", "exit 4")
    assert r.returncode == 4, r.stderr
    assert "pyrometer stat: sh -c 'exit 4'" in r.stderr


def test_missing_command_is_127(pyro_cmd):
    r = run([*pyro_cmd, "stat", "--", "pyrometer-no-such-command", "arg"])
    assert r.returncode == 127
    assert r.stderr == "pyrometer stat: pyrometer-no-such-command: command not found\n"
    r = run([*pyro_cmd, "stat", "--", "/no/such/dir/cmd"])
    assert r.returncode == 127
    assert r.stderr.strip().splitlines() == ["pyrometer stat: /no/such/dir/cmd: no such file or directory"]


def test_not_executable_is_126(tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho ran\n")
    script.chmod(0o644)
    r = pyro("stat", "--", str(script))
    assert r.returncode == 126
    assert len(r.stderr.strip().splitlines()) == 1 and "cannot execute" in r.stderr, r.stderr
    assert "ran" not in r.stdout
    r = pyro("stat", "--", str(tmp_path))
    assert r.returncode == 126, r.stderr


def test_death_by_signal_is_128_plus_signal(tmp_path):
    r, doc = stat_json(tmp_path, "sh", "-c", "kill -TERM $$")
    assert r.returncode == 128 + signal.SIGTERM
    assert doc["signals"] == [signal.SIGTERM] and doc["exit_statuses"] == [128 + signal.SIGTERM]
    assert "killed by signal 15" in r.stderr


def test_sigterm_to_pyrometer_is_passed_on(tmp_path):
    """The command gets the signal, pyrometer still prints the figures."""
    out = tmp_path / "stat.json"
    code = "import time; print('ready', flush=True); time.sleep(60)"
    p = subprocess.Popen(
        [*PYRO_MODULE, "stat", "-r", "3", "-o", str(out), "--", sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 128 + signal.SIGTERM, err
    assert "interrupted by signal 15" in err and "after 1 of 3 runs" in err
    doc = json.loads(out.read_text())
    assert doc["runs"] == 1 and doc["requested_runs"] == 3 and doc["interrupted_by"] == signal.SIGTERM


# ==== -r N, JSON, usage ====


def test_repeat_statistics(tmp_path):
    r, doc = stat_json(tmp_path, sys.executable, "-c", "pass", runs=3)
    assert r.returncode == 0, r.stderr
    assert doc["runs"] == 3 and doc["exit_statuses"] == [0, 0, 0]
    for key in FIGURES:
        f = doc["figures"][key]
        assert len(f["values"]) == 3
        assert f["mean"] == pytest.approx(statistics.mean(f["values"]))
        assert f["stddev"] == pytest.approx(statistics.stdev(f["values"]), abs=1e-9)
        assert (f["min"], f["max"]) == (min(f["values"]), max(f["values"]))
    assert "3 runs" in r.stderr and "+-" in r.stderr and "exit status 0 in each of the 3 runs" in r.stderr


def test_repeat_reports_failing_runs(tmp_path):
    r, doc = stat_json(tmp_path, "sh", "-c", "exit 5", runs=2)
    assert r.returncode == 5
    assert doc["exit_statuses"] == [5, 5] and doc["status"] == 5
    assert "exit statuses: 5 5" in r.stderr


def test_json_schema(tmp_path):
    r, doc = stat_json(tmp_path, "true")
    assert r.returncode == 0, r.stderr
    assert doc["schema"] == "pyrometer-stat" and doc["version"] == 1
    assert doc["command"] == ["true"] and doc["runs"] == doc["requested_runs"] == 1
    assert doc["interrupted_by"] is None and doc["signals"] == [0]
    assert tuple(doc["figures"]) == FIGURES
    for f in doc["figures"].values():
        assert set(f) == {"unit", "mean", "stddev", "min", "max", "values"}
    assert tuple(doc["events"]) == EVENTS
    for name, ev in doc["events"].items():
        assert isinstance(ev["available"], bool) and isinstance(ev["hardware"], bool)
        if ev["available"]:
            assert {"mean", "stddev", "min", "max", "values", "raw", "scaled", "user_only"} <= set(ev), name
        else:
            assert ev["reason"], name
    hw = [ev for ev in doc["events"].values() if ev["hardware"]]
    if not any(ev["available"] for ev in hw):
        # no PMU: one line says so, and why
        lines = [line for line in r.stderr.splitlines() if "not available here" in line]
        assert len(lines) == 1 and "hardware events (cycles, instructions" in lines[0], r.stderr
        assert hw[0]["reason"] in lines[0]
        assert doc["derived"] == {}
    else:
        assert "ipc" in doc["derived"]


def test_json_on_stdout():
    r = pyro("stat", "--json", "--", "true")
    assert r.returncode == 0 and r.stderr == ""
    assert json.loads(r.stdout)["command"] == ["true"]


def test_usage_errors(tmp_path):
    for args in (["stat"], ["stat", "--"], ["stat", "-r", "0", "--", "true"], ["stat", "-r", "x", "true"]):
        r = pyro(*args)
        assert r.returncode == 2, (args, r.stderr)
    marker = tmp_path / "ran"
    r = pyro("stat", "-o", str(tmp_path / "no" / "dir.json"), "--", "touch", str(marker))
    assert r.returncode == 3 and "cannot write" in r.stderr
    assert not marker.exists()


def test_help_and_main_help():
    r = pyro("stat", "--help")
    assert r.returncode == 0 and "127" in r.stdout and "126" in r.stdout and "-r N" in r.stdout
    r = pyro("--help")
    assert "stat" in r.stdout


@pytest.mark.skipif(shutil.which("true") is None, reason="no `true` in PATH")
def test_path_search_like_a_shell():
    r = pyro("stat", "--json", "--", "true")
    assert json.loads(r.stdout)["status"] == 0


def test_output_replaced_whole(tmp_path):
    out = tmp_path / "stat.json"
    out.write_text("old")
    r = pyro("stat", "-o", str(out), "--", "true")
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["command"] == ["true"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stat.json"]
