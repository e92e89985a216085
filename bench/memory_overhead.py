"""Overhead of memory profiling: pyrometer's `run --mode memory` (default sampled, and --exact)
against memray, tracemalloc, memory_profiler and Scalene, all from PyPI.

Runs on ONE Python: the interpreter executing this script (``bench/memory.sh`` runs it on every
CPython 3.9-3.15). Workloads (``bench/workloads/mem_*.py``): the Julia set of
``examples/julia.py`` (about three short-lived complex numbers per iteration), an object-heavy
ray tracer (every vector, ray and hit a new object) and an allocation-heavy program (many small
dicts, lists, strings and tuples built and dropped, plus 8 MiB buffers). Each run is a fresh
process under one of:

* plain: ``python workload.py``;
* pyrometer: ``pyrometer run --mode memory -o X.pyro workload.py``, and with ``--exact`` and with
  ``--native`` (also malloc, mmap, ... of C code: GOT patching; n/a where a probe run of an option
  fails, with its reason); and sampling with memory tracking in
  one run, ``pyrometer run --memory -o X.pyro workload.py`` (the CPU and the memory profile);
* memray: ``python -m memray run -q -f -o X.bin workload.py``, also with
  ``--trace-python-allocators`` and with ``--native``;
* tracemalloc: ``python -X tracemalloc=1 workload.py`` and ``-X tracemalloc=25``;
* memory_profiler, line by line: ``MEM_BENCH_DECORATE=1 python -m memory_profiler workload.py``
  (the workload then decorates its hot function with the ``profile`` memory_profiler put in
  builtins), and its timeline: ``mprof run -o X.dat workload.py``;
* Scalene, full mode (CPU + memory, no browser): ``python -m scalene run --memory -o X.json
  workload.py --- ARGS``.

Each run is timed as a whole process (wall clock from start to exit, start-up and the writing of
the profile included; and the CPU time of its whole process tree, steadier than wall time on a
busy machine) and the workload also times its own hot part (``MEM_BENCH {"time": s,
"check": n}``); its peak RSS is that of the largest process of the run (for mprof, the program, not mprof), from
GNU ``/usr/bin/time -f %M`` that starts each run (else from wait4, whose floor is then this
driver's own size: Linux carries a peak RSS across exec). The configurations alternate within
each round; the targets' rows (plain, pyrometer default, --exact and run --memory, memray
--trace-python-allocators) run ``--repeat`` rounds (default 2), the other peers
``--peer-repeat`` (default 1); the median of each time and the lowest peak RSS of each are kept. A run
that takes longer than ``--cap`` times plain's whole time (default 5) is stopped and shown as
more than that.

    python bench/memory_overhead.py [--quick] [--repeat N] [--peer-repeat N] [--cap X]
                                    [--only julia|raytrace|churn] [--skip CONFIG ...]

``--instructions`` measures something else, for machines too busy for the times to mean much:
the instructions each of plain, the default mode and ``--exact`` executes, whole process, one run
each under valgrind's callgrind (``PYROMETER_SEED=1``: the same sampling every time;
``PYTHONHASHSEED=0``: the same str hashes; runs in parallel, one per CPU). A count does not move
with the machine's load, so it shows what a change to the hooks' paths saves; it is not time (a
miss or a mispredicted branch costs more than an instruction), and the targets are judged on
times only.

    python bench/memory_overhead.py --instructions [--quick] [--only WORKLOAD ...]

overhead = profiled time / plain time. Targets (issue 14), on every Python: pyrometer's default
mode at most 1.1x as the median over the workloads and at most 1.2x on each; --exact's overhead
(factor - 1) at most half of memray --trace-python-allocators' on each workload; ``run --memory``
(sampling plus memory) at most 1.15x as the median over the workloads. Each is judged
on the whole process's wall time, on the hot part's and on the whole process's CPU time, and
printed as PASS or FAIL: a measurement, not a test
(the exit status is non-zero only when a run failed or changed the workload's result).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"
TAG = "MEM_BENCH "
VALGRIND = shutil.which("valgrind")
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None  # GNU time: -f %M is peak RSS in KiB

CONFIGS = (
    "plain",
    "pyro",
    "pyro_exact",
    "pyro_native",
    "pyro_combo",
    "memray",
    "memray_tpa",
    "memray_native",
    "tm1",
    "tm25",
    "mp_line",
    "mprof",
    "scalene",
)
LABELS = {
    "plain": "plain python",
    "pyro": "pyrometer --mode memory",
    "pyro_exact": "pyrometer --mode memory --exact",
    "pyro_native": "pyrometer --mode memory --native",
    "pyro_combo": "pyrometer run --memory",
    "memray": "memray run",
    "memray_tpa": "memray run --trace-python-allocators",
    "memray_native": "memray run --native",
    "tm1": "python -X tracemalloc=1",
    "tm25": "python -X tracemalloc=25",
    "mp_line": "python -m memory_profiler (@profile)",
    "mprof": "mprof run",
    "scalene": "scalene run --memory (full)",
}
PYRO_OPTION = {"pyro": [], "pyro_exact": ["--exact"], "pyro_native": ["--native"]}
TARGET_CONFIGS = ("plain", "pyro", "pyro_exact", "pyro_combo", "memray_tpa")  # run --repeat rounds
NEEDS = {  # config -> module that must import on this Python
    "memray": "memray",
    "memray_tpa": "memray",
    "memray_native": "memray",
    "mp_line": "memory_profiler",
    "mprof": "memory_profiler",
    "scalene": "scalene",
}
DEFAULT_MEDIAN_TARGET = 1.1
DEFAULT_EACH_TARGET = 1.2
EXACT_VS_MEMRAY = 0.5  # (pyro --exact - 1) <= this * (memray tpa - 1)
COMBO_TARGET = 1.15  # run --memory (sample mode + memory): median over the workloads


class Workload:
    def __init__(self, key: str, script: str, size: int, quick: int, title: str) -> None:
        self.key, self.script, self.size, self.quick, self.title = key, script, size, quick, title


WORKLOAD_LIST = [
    Workload("julia", "mem_julia.py", 400, 150, "Julia set, width {} (examples/julia.py)"),
    Workload("raytrace", "mem_raytrace.py", 360, 120, "object-heavy ray tracer, {0}x{0} pixels"),
    Workload("churn", "mem_churn.py", 30, 8, "allocation churn, {} rounds of small objects + 8 MiB buffers"),
]


def command(config: str, script: Path, size: int, tmp: str) -> tuple[list[str], dict[str, str], str | None]:
    """The command line of one run, extra environment, and the file the tool must write (or None)."""
    py, arg = sys.executable, str(size)
    out = os.path.join(tmp, "out")
    if config == "plain":
        return [py, str(script), arg], {}, None
    if config in PYRO_OPTION:
        pyro = str(Path(py).with_name("pyrometer"))
        extra = PYRO_OPTION[config]
        return [pyro, "run", "--mode", "memory", *extra, "-o", out + ".pyro", str(script), arg], {}, out + ".pyro"
    if config == "pyro_combo":
        pyro = str(Path(py).with_name("pyrometer"))
        return [pyro, "run", "--memory", "-o", out + ".pyro", str(script), arg], {}, out + ".pyro"
    if config.startswith("memray"):
        extra = {"memray": [], "memray_tpa": ["--trace-python-allocators"], "memray_native": ["--native"]}[config]
        return [py, "-m", "memray", "run", "-q", "-f", *extra, "-o", out + ".bin", str(script), arg], {}, out + ".bin"
    if config in ("tm1", "tm25"):
        return [py, "-X", f"tracemalloc={config[2:]}", str(script), arg], {}, None
    if config == "mp_line":
        return [py, "-m", "memory_profiler", str(script), arg], {"MEM_BENCH_DECORATE": "1"}, None
    if config == "mprof":
        mprof = str(Path(py).with_name("mprof"))
        return [mprof, "run", "-o", out + ".dat", str(script), arg], {}, out + ".dat"
    if config == "scalene":
        return [py, "-m", "scalene", "run", "--memory", "-o", out + ".json", str(script), "---", arg], {}, out + ".json"
    raise ValueError(config)


def failure(returncode: int, stderr: str, reported: bool, must_write: str | None) -> str | None:
    """Why a finished run does not count (its last line on stderr, or the file it did not write), or None."""
    if returncode != 0 or not reported:
        lines = stderr.strip().splitlines()
        return (lines or [f"exit status {returncode}, nothing reported"])[-1][:160]
    if must_write and not (os.path.exists(must_write) and os.path.getsize(must_write) > 0):
        return f"wrote no {os.path.basename(must_write)}"
    return None


def run_one(config: str, script: Path, size: int, cap: float | None) -> dict[str, Any]:
    """One fresh process: whole wall time, peak RSS (KiB), the workload's hot time and check."""
    with tempfile.TemporaryDirectory(prefix="pyro-membench-") as tmp:
        argv, env_extra, must_write = command(config, script, size, tmp)
        env = dict(os.environ, **env_extra)
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        rss_path = os.path.join(tmp, "maxrss")
        if TIME:  # GNU time forks the run from its own small process: see peak_rss_note()
            argv = [TIME, "-f", "%M", "-o", rss_path, *argv]
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            t0 = time.perf_counter()
            try:
                proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=tmp, start_new_session=True)
            except OSError as e:
                return {"error": f"cannot start: {e}"}
            timed_out = threading.Event()

            def stop() -> None:
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(cap, stop) if cap else None
            if timer:
                timer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            whole = time.perf_counter() - t0
            if timer:
                timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        if timed_out.is_set():
            return {"timeout": cap}
        stdout = Path(out_path).read_text(errors="replace")
        result: dict[str, Any] | None = None
        for line in stdout.splitlines():
            if line.startswith(TAG):
                result = dict(json.loads(line[len(TAG) :]))
        why = failure(proc.returncode, Path(err_path).read_text(errors="replace"), result is not None, must_write)
        if why:
            return {"error": why}
        assert result is not None
        if config == "mp_line" and "Mem usage" not in stdout:
            return {"error": "memory_profiler printed no line table"}
        result["whole"] = whole
        result["cpu"] = usage.ru_utime + usage.ru_stime  # the run's whole tree: it was waited for
        result["rss_kib"] = usage.ru_maxrss
        if TIME:
            try:
                result["rss_kib"] = int(Path(rss_path).read_text().split()[-1])
            except (OSError, ValueError, IndexError):
                return {"error": "no peak RSS from time"}
        return result


def probe_pyrometer(options: list[str], mode: tuple[str, ...] = ("--mode", "memory")) -> tuple[bool, str]:
    """Whether `pyrometer run MODE OPTIONS` profiles a small program here; else why not."""
    pyro = str(Path(sys.executable).with_name("pyrometer"))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "p.pyro")
        probe = [pyro, "run", *mode, *options, "-o", out, "-c", "x = [0] * 1000"]
        try:
            proc = subprocess.run(probe, capture_output=True, text=True, timeout=60, cwd=tmp)
        except FileNotFoundError:
            return False, f"no {pyro}"
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, str(e)[:100]
        if proc.returncode == 0 and os.path.exists(out):
            return True, ""
        return False, (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:100]


def availability(configs: list[str]) -> dict[str, str]:
    """config -> why it cannot run here (only those that cannot)."""
    why: dict[str, str] = {}
    missing = os.environ.get("PYROMETER_BENCH_MISSING", "").split()  # set by every_version.sh
    log = os.environ.get("PYROMETER_BENCH_LOG", "its log")
    for mod in sorted({NEEDS[c] for c in configs if c in NEEDS}):
        dist = mod.replace("_", "-")
        if any(m.replace("_", "-").lower() == dist for m in missing):
            for config in configs:
                if NEEDS.get(config) == mod:
                    why[config] = f"{dist} did not install from PyPI on this Python, see {log}"
            continue
        # in a child: this driver stays small (its size is the floor of every peak RSS measured)
        proc = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True, text=True)
        if proc.returncode != 0:
            err = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:100]
            for config in configs:
                if NEEDS.get(config) == mod:
                    why[config] = f"cannot import {mod}: {err}"
    for config in PYRO_OPTION:
        if config in configs:  # does this pyrometer run memory mode with this option?
            ok, reason = probe_pyrometer(PYRO_OPTION[config])
            if not ok:
                why[config] = f"not built: {reason}"
    if "pyro_combo" in configs:
        ok, reason = probe_pyrometer(["--memory"], mode=())
        if not ok:
            why["pyro_combo"] = f"not built: {reason}"
    return why


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for dist in ("pyrometer", "memray", "memory_profiler", "scalene"):
        try:
            found.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            found.append(f"{dist} not installed")
    return ", ".join(found)


def peak_rss_note() -> str:
    """How peak RSS is measured and its floor. Linux carries a process's peak RSS across exec,
    so a child forked from this driver starts with the driver's size as its peak."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if TIME:
        return f"peak RSS: of the largest process of each run, by {TIME} (its own peak, the floor: about 2 MiB)"
    return f"peak RSS: of the largest process of each run, by wait4; floor: this driver's {own / 1024:.1f} MiB"


def mib(kib: int) -> str:
    return f"{kib / 1024:7.1f} MiB"


def cell(r: dict[str, Any], key: str, base: float) -> str:
    if "timeout" in r:
        return f"> {r['timeout']:6.2f} s  >{r['timeout'] / base:5.1f}x"
    return f"{r[key]:8.3f} s {r[key] / base:6.2f}x"


def bench(w: Workload, size: int, args: argparse.Namespace, configs: list[str], na: dict[str, str]) -> dict[str, Any]:
    """Measure and print one workload; returns the median result per config and 'ok'."""
    script = WORKLOADS / w.script
    runs = {c: (args.repeat if c in TARGET_CONFIGS else args.peer_repeat) for c in configs if c not in na}
    best: dict[str, dict[str, Any]] = {}  # per config: its median run (or its failure)
    timed: dict[str, list[dict[str, Any]]] = {c: [] for c in runs}
    done = dict.fromkeys(runs, 0)
    for _ in range(max(runs.values())):
        for config in runs:  # interleaved: each configuration once per round while it needs runs
            if done[config] >= runs[config] or "error" in best.get(config, {}) or "timeout" in best.get(config, {}):
                continue
            cap = None  # the targets' rows are never stopped: their factors are compared
            if config not in TARGET_CONFIGS and timed["plain"]:
                cap = args.cap * min(r["whole"] for r in timed["plain"])
            r = run_one(config, script, size, cap)
            done[config] += 1
            if "whole" not in r:
                best[config] = r
            else:
                timed[config].append(r)
    for config, rs in timed.items():
        if rs and config not in best:
            # the median run of each figure: a layout of the heap that makes one run in five
            # faster (glibc's trimming of the heap top) must not stand for the usual run
            best[config] = {k: statistics.median(r[k] for r in rs) for k in ("whole", "time", "cpu")}
            best[config]["rss_kib"] = min(r["rss_kib"] for r in rs)
            best[config]["check"] = rs[-1]["check"]
            if any(r["check"] != rs[0]["check"] for r in rs):
                best[config]["check"] = None  # runs disagree: shown as a wrong result
    title = w.title.format(size)
    plain = best.get("plain", {"error": "not run"})
    if "whole" not in plain:
        print(f"\n{title}: plain run FAILED: {plain.get('error')}")
        return {"ok": False, "best": {}}
    print(
        f"\n{title}: plain {plain['whole']:.3f} s whole, {plain['time']:.3f} s hot part, "
        f"{plain['cpu']:.3f} s CPU, peak RSS {mib(plain['rss_kib']).strip()}"
    )
    width = max(len(LABELS[c]) for c in configs)
    print(
        f"  {'':<{width}}  runs  {'whole process':>17}  {'hot part':>17}  {'CPU (whole)':>17}  {'peak RSS':>11} {'':>6}"
    )
    ok = True
    for config in configs[1:]:
        if config in na:
            print(f"  {LABELS[config]:<{width}}  n/a ({na[config]})")
            continue
        r = best[config]
        if "error" in r:
            print(f"  {LABELS[config]:<{width}}  FAILED: {r['error']}")
            ok = False
            continue
        n = done[config]
        if "timeout" in r:
            print(f"  {LABELS[config]:<{width}}  {n:4d}  {cell(r, 'whole', plain['whole'])}  (stopped: over --cap)")
            continue
        rss = f"{mib(r['rss_kib'])} {r['rss_kib'] / plain['rss_kib']:5.2f}x"
        line = (
            f"  {LABELS[config]:<{width}}  {n:4d}  {cell(r, 'whole', plain['whole'])}  "
            f"{cell(r, 'time', plain['time'])}  {cell(r, 'cpu', plain['cpu'])}  {rss}"
        )
        if r["check"] != plain["check"]:
            line += f"  WRONG RESULT {r['check']} != {plain['check']}"
            ok = False
        print(line)
    return {"ok": ok, "best": best}


def factor(best: dict[str, Any], config: str, key: str) -> float | None:
    r, plain = best.get(config, {}), best.get("plain", {})
    if key not in r or not plain.get(key):
        return None
    return float(r[key] / plain[key])


def factors(results: dict[str, dict[str, Any]], config: str) -> tuple[dict[str, list[float]], list[str]]:
    """Each workload's factors (one per KEYS) for a configuration, and the workloads it has none for."""
    got: dict[str, list[float]] = {}
    missing = []
    for w, res in results.items():
        v = [factor(res["best"], config, k) for k, _ in KEYS]
        known = [x for x in v if x is not None]
        if len(known) == len(v):
            got[w] = known
        else:
            missing.append(w)
    return got, missing


def verdict(good: bool) -> str:
    return "PASS" if good else "FAIL"


KEYS = (("whole", "whole"), ("time", "hot"), ("cpu", "CPU"))


def targets(results: dict[str, dict[str, Any]], na: dict[str, str]) -> None:
    print("\ntargets (issue 14); each factor as whole-process wall / hot-part wall / whole-process CPU:")
    if "pyro" in na:
        print(f"  default mode: n/a ({na['pyro']})")
    else:
        got, missing = factors(results, "pyro")
        if got:
            med = [statistics.median(v[i] for v in got.values()) for i in range(len(KEYS))]
            worst = [max(v[i] for v in got.values()) for i in range(len(KEYS))]
            print(
                f"  default mode, median over workloads <= {DEFAULT_MEDIAN_TARGET}x: "
                + " / ".join(f"{m:.2f}x" for m in med)
                + ": "
                + " / ".join(verdict(m <= DEFAULT_MEDIAN_TARGET) for m in med)
            )
            each = "; ".join(f"{w} " + "/".join(f"{x:.2f}x" for x in v) for w, v in got.items())
            complete = not missing  # a workload not measured is not a pass
            print(
                f"  default mode, every workload <= {DEFAULT_EACH_TARGET}x ({each}): "
                + " / ".join(verdict(complete and m <= DEFAULT_EACH_TARGET) for m in worst)
            )
        if missing:
            print(f"  default mode: not measured on {', '.join(missing)} (the run failed)")
    combo_target(results, na)
    if "pyro_exact" in na or "memray_tpa" in na:
        why = na.get("pyro_exact") or na.get("memray_tpa")
        print(f"  --exact vs memray --trace-python-allocators: n/a ({why})")
        return
    print("  --exact's overhead <= half of memray --trace-python-allocators' (pyro - 1 <= (memray - 1) / 2):")
    good = [True] * len(KEYS)
    for w, res in results.items():
        parts = []
        for i, (k, name) in enumerate(KEYS):
            pe, mt = factor(res["best"], "pyro_exact", k), factor(res["best"], "memray_tpa", k)
            if pe is None or mt is None:
                parts.append(f"{name} n/a")
                good[i] = False
                continue
            ok = pe - 1 <= EXACT_VS_MEMRAY * (mt - 1)
            good[i] = good[i] and ok
            parts.append(f"{name} {pe - 1:.2f} vs {(mt - 1) / 2:.2f} {verdict(ok)}")
        print(f"    {w}: {', '.join(parts)}")
    print("    every workload: " + " / ".join(verdict(g) for g in good))


def combo_target(results: dict[str, dict[str, Any]], na: dict[str, str]) -> None:
    """run --memory (sampling plus memory in one run): the median over the workloads <= COMBO_TARGET."""
    if "pyro_combo" in na:
        print(f"  run --memory: n/a ({na['pyro_combo']})")
        return
    got, missing = factors(results, "pyro_combo")
    if not got:
        print("  run --memory: not measured (the runs failed)")
        return
    med = [statistics.median(v[i] for v in got.values()) for i in range(len(KEYS))]
    each = "; ".join(f"{w} " + "/".join(f"{x:.2f}x" for x in v) for w, v in got.items())
    complete = not missing  # a workload not measured is not a pass
    print(
        f"  run --memory (sample mode + memory), median over workloads <= {COMBO_TARGET}x ({each}): "
        + " / ".join(f"{m:.2f}x" for m in med)
        + ": "
        + " / ".join(verdict(complete and m <= COMBO_TARGET) for m in med)
    )


INSTRUCTION_CONFIGS = ("plain", "pyro", "pyro_exact")  # deterministic: no sampling thread timed by a clock
COLLECTED = re.compile(r"Collected : (\d+)")


def count_instructions(valgrind: str, config: str, script: Path, size: int) -> dict[str, Any]:
    """One run under callgrind: the instructions of the whole process (all its threads) and the
    workload's check value, or why it failed."""
    with tempfile.TemporaryDirectory(prefix="pyro-membench-") as tmp:
        argv, env_extra, must_write = command(config, script, size, tmp)
        argv = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv]
        # the seed fixes which allocations are recorded; the hash seed, str hashes (and so dict
        # probes and set order, which moved plain's count by 0.6% from one run to the next)
        env = dict(os.environ, PYROMETER_SEED="1", PYTHONHASHSEED="0", **env_extra)
        r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp, errors="replace")
        checks = [json.loads(line[len(TAG) :])["check"] for line in r.stdout.splitlines() if line.startswith(TAG)]
        counted = COLLECTED.findall(r.stderr)
        why = failure(r.returncode, r.stderr, bool(checks and counted), must_write)
        if why:
            return {"error": why}
        return {"instructions": int(counted[-1]), "check": checks[-1]}


def instructions(args: argparse.Namespace) -> int:
    """--instructions: each workload's instruction counts, and their ratios to plain's."""
    valgrind = VALGRIND
    if not valgrind:
        print("--instructions needs valgrind (apt-get install valgrind): not found on PATH")
        return 1
    print(f"CPython {platform.python_version()} ({sys.executable}); {versions()}")
    print(
        "instructions of the whole process, one run each under valgrind --tool=callgrind, PYROMETER_SEED=1, "
        "PYTHONHASHSEED=0; "
        "overhead = profiled count / plain count (not time: the targets are judged on times)"
    )
    jobs = [
        (w, c)
        for w in WORKLOAD_LIST
        if not args.only or w.key in args.only
        for c in INSTRUCTION_CONFIGS
        if c not in args.skip
    ]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        done = pool.map(
            lambda job: count_instructions(valgrind, job[1], WORKLOADS / job[0].script, size_of(job[0], args)), jobs
        )
        got = {(w.key, c): r for (w, c), r in zip(jobs, done)}
    ok = True
    for w in WORKLOAD_LIST:
        rows = [(c, got[(w.key, c)]) for c in INSTRUCTION_CONFIGS if (w.key, c) in got]
        if not rows:
            continue
        print(f"\n{w.title.format(size_of(w, args))}")
        base = got.get((w.key, "plain"), {}).get("instructions")
        checks = {r["check"] for _, r in rows if "check" in r}
        for c, r in rows:
            if "error" in r:
                ok = False
                print(f"  {LABELS[c]:40s} FAILED: {r['error']}")
                continue
            ratio = f"{r['instructions'] / base:.3f}x" if base else "n/a"
            print(f"  {LABELS[c]:40s} {r['instructions']:>16,} instructions  {ratio}")
        if len(checks) > 1:
            ok = False
            print(f"  FAILED: the runs' results differ ({sorted(checks)})")
    print(f"\nthis run took {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


def size_of(w: Workload, args: argparse.Namespace) -> int:
    return w.quick if args.quick else w.size


def main(argv: list[str] | None = None) -> int:
    doc = __doc__ or ""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 1 round: a smoke test, numbers are noise")
    p.add_argument("--repeat", type=int, default=None, help="rounds of plain, pyrometer and memray tpa (2)")
    p.add_argument("--peer-repeat", type=int, default=1, help="rounds of the other peers (1)")
    p.add_argument("--cap", type=float, default=5.0, help="stop a run after this many times plain's time (5)")
    p.add_argument("--only", choices=[w.key for w in WORKLOAD_LIST], action="append", help="this workload only")
    p.add_argument("--skip", choices=CONFIGS[1:], action="append", default=[], help="leave a configuration out")
    p.add_argument(
        "--instructions", action="store_true", help="count instructions under callgrind instead of timing (see above)"
    )
    args = p.parse_args(argv)
    args.repeat = args.repeat or (1 if args.quick else 2)
    if args.instructions:
        return instructions(args)

    print(f"CPython {platform.python_version()} ({sys.executable}); {versions()}")
    print(f"load average at the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"whole process and hot part timed; median of {args.repeat} rounds for plain, pyrometer and memray "
        f"--trace-python-allocators, of {args.peer_repeat} for the other peers; configurations interleaved, "
        f"one fresh process per run; overhead = profiled time / plain time; runs over {args.cap:g}x plain stopped"
    )
    configs = [c for c in CONFIGS if c not in args.skip]
    started = time.perf_counter()
    na = availability(configs)
    print(peak_rss_note())
    results: dict[str, dict[str, Any]] = {}
    ok = True
    for w in WORKLOAD_LIST:
        if args.only and w.key not in args.only:
            continue
        results[w.key] = bench(w, size_of(w, args), args, configs, na)
        ok = ok and results[w.key]["ok"]
    targets(results, na)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}; this run took {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
