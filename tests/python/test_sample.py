"""Sample mode, attach and top: accuracy against the program's own clocks,
stacks that are real call paths with the right lines, wall against CPU time,
every output format, and bad input."""

from __future__ import annotations

import ast
import json
import os
import pstats
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import TARGETS, pyro, run, target
from test_dump import _drop_ptrace_capability, _traced_state, interpreters, target_version


def sample_json(tmp_path: Path, *args: str, rate: str = "1000") -> dict:
    out = tmp_path / "s.json"
    r = pyro("run", "--rate", rate, "-o", str(out), *args)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


def func_shares(doc: dict, names, clock: str = "wall", thread: str | None = None) -> dict:
    """Total time per function name (recursion counted once), from the JSON nodes."""
    fields = doc["node_fields"]
    col = fields.index("self_ns" if clock == "wall" else "cpu_ns")
    nodes = doc["nodes"]
    funcs = doc["functions"]
    threads = doc["threads"]
    totals = {n: 0 for n in names}
    for row in nodes:
        if thread is not None and threads[row[1]]["name"] != thread:
            continue
        # walk up: which of `names` are on this path (each counted once)
        seen = set()
        k = row
        while True:
            name = funcs[k[2]]["name"]
            if name in totals:
                seen.add(name)
            if k[0] < 0:
                break
            k = nodes[k[0]]
        for name in seen:
            totals[name] += row[col]
    return totals


# ==== accuracy ====


@pytest.mark.parametrize("share", [0.25, 0.5, 0.75])
def test_call_bias_within_3_points(tmp_path, share):
    """A loop that calls a helper per iteration is not over-reported: the
    share sampled equals the share perf_counter measured, within 3 points."""
    out = tmp_path / "b.json"
    for _ in range(3):
        r = pyro("run", "--rate", "2000", "-o", str(out), target("bias.py"), str(share), "1.5")
        assert r.returncode == 0, r.stderr
        truth = json.loads(r.stdout)
        true_share = truth["calling_loop"] / (truth["calling_loop"] + truth["inline_loop"])
        doc = json.loads(out.read_text())
        got = func_shares(doc, ["calling_loop", "inline_loop"])
        sampled = got["calling_loop"] / (got["calling_loop"] + got["inline_loop"])
        meta = doc["meta"]
        # fewer, coarser samples when a busy machine starved the sampling
        # thread (its rounds missed), or a run whose parts the machine
        # stretched far from the asked-for share (the program preempted for
        # long stretches, where each sample weighs more): taken again
        starved = int(meta["missed"]) * 10 >= int(meta["samples"]) or abs(true_share - share) > 0.1
        if abs(sampled - true_share) <= 0.03 or not starved:
            break
    assert abs(sampled - true_share) <= 0.03, (sampled, true_share, meta)


@pytest.mark.parametrize("blocking", [False, True], ids=["in-process", "child"])
def test_run_names_its_python_as_the_target_names_itself(tmp_path, blocking):
    """A sampled run stores the Python it ran on as that Python names
    itself (3.15.0rc1, 3.14.7t), both as `python` and as the sampler read
    it from the runtime (`target_python`)."""
    out = tmp_path / "v.json"
    r = pyro("run", *(["--blocking"] if blocking else []), "-o", str(out), "-c", "sum(range(10**6))")
    assert r.returncode == 0, r.stderr
    meta = json.loads(out.read_text())["meta"]
    want = target_version(sys.executable)  # 3.9/3.10 as read from outside: only the minor
    assert meta["python"].startswith(want) and meta["target_python"].startswith(want), meta
    if sys.version_info >= (3, 11):
        assert meta["python"] == meta["target_python"] == want, meta


def test_wall_and_cpu_views(tmp_path):
    """One recording, both views: in wall time each part of the main thread
    has the share of the run the program measured itself (a second each on
    an idle machine), in CPU time sleeping and blocking cost nothing and
    burning costs what the threads really got."""
    pyro_file = tmp_path / "w.pyro"
    r = pyro("run", "-o", str(pyro_file), target("wallcpu.py"))
    assert r.returncode == 0, r.stderr
    own = json.loads(r.stdout)
    doc = json.loads(pyro("report", "--format", "json", str(pyro_file)).stdout)
    parts = ["burn", "nap", "wait_socket"]
    wall = func_shares(doc, parts, "wall", "MainThread")
    total = sum(wall.values())
    own_total = sum(own[p]["wall"] for p in parts)
    for p in parts:
        assert abs(wall[p] / total - own[p]["wall"] / own_total) < 0.06, (wall, own)
    cpu = func_shares(doc, parts, "cpu", "MainThread")
    assert cpu["nap"] + cpu["wait_socket"] < 0.05 * 1e9, cpu  # blocked: no CPU (a wrong clock: 2 s)
    assert cpu["burn"] > 0.5 * own["burn"]["cpu"] * 1e9, (cpu, own)
    names = {t["name"] for t in doc["threads"]}
    assert "cruncher" in names, names
    crunch = func_shares(doc, ["crunch"], "cpu", "cruncher")["crunch"]
    assert crunch > 0.5 * own["crunch"]["cpu"] * 1e9, (crunch, own)
    # the report in CPU time shows no sleeping: nap and wait_socket are hidden (under 0.5%) or
    # hold the sliver of CPU charged to them at the sample that found them (on a busy machine
    # the sampler can come late, and the CPU burn used since its last look goes to the new
    # stack), never a share like burn's
    text = pyro("report", "--clock", "cpu", str(pyro_file)).stdout
    assert "CPU time" in text and "cruncher" in text
    tree = text.split("Hottest lines")[0]
    assert "burn" in tree
    for row in tree.splitlines():
        if re.search(r"\b(nap|wait_socket)  targets/wallcpu\.py", row):
            share = float(row.split("%")[0].split()[-1])
            assert share < 2.5, row


def _allowed(path: Path):
    """Call lines per (caller, callee) and body lines per function."""
    tree = ast.parse(path.read_text())
    calls, body = {}, {}
    for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        body[fn.name] = set(range(fn.lineno, fn.end_lineno + 1))
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                calls.setdefault((fn.name, node.func.id), set()).add(node.lineno)
    for node in tree.body:  # module level calls
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                calls.setdefault(("<module>", sub.func.id), set()).add(sub.lineno)
    return calls, body


def check_stacks(doc: dict, source: Path) -> int:
    calls, body = _allowed(source)
    funcs, nodes = doc["functions"], doc["nodes"]
    checked = 0
    for row in nodes:
        f = funcs[row[2]]
        if not f["file"].endswith(source.name):
            continue
        name, line = f["name"], row[3]
        if row[0] >= 0 and funcs[nodes[row[0]][2]]["file"].endswith(source.name):
            parent = nodes[row[0]]
            pname = funcs[parent[2]]["name"]
            assert (pname, name) in calls, f"impossible call {pname} -> {name}"
            assert parent[3] in calls[(pname, name)], (pname, parent[3], name)
        if name != "<module>":
            assert line in body[name], (name, line)
        checked += 1
    return checked


def test_stacks_are_real_call_paths_with_right_lines(tmp_path):
    doc = sample_json(tmp_path, target("shapes.py"), rate="3000")
    assert check_stacks(doc, TARGETS / "shapes.py") >= 5
    assert int(doc["meta"]["partial_stacks"]) <= int(doc["meta"]["samples"]) // 100


def test_run_blocking_is_a_child_sampled_from_outside(tmp_path):
    """run --blocking: the program runs as `python` runs it, in a child, with
    its own output and exit status (a signal's too); its stacks are read
    with its threads stopped: real call paths, none cut."""
    out = tmp_path / "b.json"
    r = pyro("run", "--blocking", "--rate", "3000", "-o", str(out), target("shapes.py"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert check_stacks(doc, TARGETS / "shapes.py") >= 5
    meta = doc["meta"]
    assert float(meta["paused_s"]) > 0, meta
    _blocking_stacks_whole(meta)
    assert {t["name"] for t in doc["threads"]} >= {"MainThread"}
    r = pyro("run", "--blocking", "-c", "import sys; print('out', sys.argv[1:]); sys.exit(3)", "x")
    assert r.returncode == 3 and r.stdout == "out ['x']\n", (r.returncode, r.stdout, r.stderr)
    r = pyro(
        "run",
        "--blocking",
        "-o",
        str(tmp_path / "k.json"),
        "-c",
        "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
    )
    assert r.returncode == 128 + 15, r.stderr
    r = pyro("run", "--blocking", "--mode", "trace", "-c", "pass")
    assert r.returncode == 2 and "--blocking is for --mode sample" in r.stderr


def _blocking_stacks_whole(meta: dict, wrong: int = 0) -> None:
    """--blocking reads stopped threads: no stack cut, re-read or wrong,
    except from a thread that did not stop in time (no CPU for it within
    20 ms on a busy machine: `late_threads`), read running the usual way."""
    late = int(meta["late_threads"])
    partial, reread = int(meta["partial_stacks"]), int(meta["reread_stacks"])
    if late == 0:
        assert partial == 0 and reread == 0 and wrong == 0, meta
    else:
        assert partial <= late and wrong <= late, (wrong, meta)


@pytest.mark.parametrize("python", interpreters())
def test_attach_every_version(tmp_path, python):
    """pyrometer on this Python samples a program on every installed one."""
    p = subprocess.Popen([python, target("shapes.py"), "serve"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        out = tmp_path / "a.json"
        # 2000 Hz for 0.7 s: over 500 samples, unless a busy machine starved
        # the sampling process (then its rounds are missed): tried again
        for _ in range(4):
            r = pyro("attach", str(p.pid), "--duration", "0.7", "--rate", "2000", "-o", str(out))
            assert r.returncode == 0, r.stderr
            doc = json.loads(out.read_text())
            if int(doc["meta"]["samples"]) > 500:
                break
        assert check_stacks(doc, TARGETS / "shapes.py") >= 5
        names = {f["name"] for f in doc["functions"]}
        assert {"driver", "left", "right", "leaf"} <= names
        assert doc["threads"][0]["name"] == "MainThread"
        assert int(doc["meta"]["samples"]) > 500, doc["meta"]
        # the target's version as it names itself (3.15.0rc1), free-threaded builds with a "t"
        assert doc["meta"]["target_python"] == target_version(python)
    finally:
        p.kill()
        p.wait()


def _attach_looping(tmp_path, python: str, script: str, duration: str, rate: str, *more: str) -> dict:
    """The JSON profile of `pyrometer attach` to `script` (which prints
    "ready", then loops until killed) run by `python`. The program must be
    left as it was: untraced, no thread stopped."""
    p = subprocess.Popen([python, script], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        out = tmp_path / "attached.json"
        r = pyro("attach", str(p.pid), "--duration", duration, "--rate", rate, "-o", str(out), *more)
        assert r.returncode == 0, r.stderr
        tracer, states = _traced_state(p.pid)
        assert tracer == 0 and not {"t", "T"} & set(states), (tracer, states)
        assert p.poll() is None
        return json.loads(out.read_text())
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("python", interpreters())
def test_suspended_generator_is_never_a_root(tmp_path, python):
    """A stack read while the generator yielded ended at its frame (whose
    caller link a suspension clears): 15-20% of the samples of this loop
    were rooted at `numbers`. The module is the root of all but the rare
    sample whose two reads the loop fooled by coming back to the same state
    between them (as in test_ended_frame_kept_alive_is_not_a_callee: once in
    CI, 3.15 attaching to 3.13t on a loaded machine); the bound (1%) allows
    those, not the hole (15-20%)."""
    doc = _attach_looping(tmp_path, python, target("genloop.py"), "0.7", "2000")
    funcs, nodes = doc["functions"], doc["nodes"]
    col = doc["node_fields"].index("samples")  # a node's own samples: a tree's are its nodes'

    def root(i: int) -> int:
        while nodes[i][0] >= 0:
            i = nodes[i][0]
        return i

    roots = {funcs[n[2]]["name"] for n in nodes if n[0] < 0}
    elsewhere = sum(n[col] for i, n in enumerate(nodes) if funcs[nodes[root(i)][2]]["name"] != "<module>")
    assert "<module>" in roots and elsewhere <= int(doc["meta"]["samples"]) // 100, (roots, elsewhere, doc["meta"])
    assert "numbers" in {f["name"] for f in funcs}
    assert int(doc["meta"]["partial_stacks"]) < int(doc["meta"]["samples"]) // 4


@pytest.mark.parametrize("python", interpreters())
def test_ended_frame_kept_alive_is_not_a_callee(tmp_path, python):
    """A frame that raised stays alive in its traceback, its f_back still
    naming the caller that caught the exception and moved on (3.9/3.10: its
    f_executing/f_state says it ended; 3.11+: its stack slot is above the
    thread's datastack top). `boom` only ever runs under `caller` at its own
    call line. A loop this tight (one raise every ~3 µs) can still fool the
    two reads of a sample when it comes back to the very same state between
    them (caller at the same line, a new boom in the same slot): 1-8 such
    samples in 10,000 on 3.11-3.13, before this change and after, and 13 in
    4984 once in CI on a loaded machine. The bound (1%) allows those, not a
    hole like the ones fixed (15-20% of samples); --blocking rules them out
    (test_blocking_attach_is_exact)."""
    doc, right, wrong = _attach_raiser(tmp_path, python)
    assert right > 0
    assert wrong <= int(doc["meta"]["samples"]) // 100, (wrong, doc["meta"]["samples"])


def _attach_raiser(tmp_path, python: str, *more: str) -> tuple:
    """(profile, right, wrong) of attach to raiser.py at 5000 Hz for 1 s,
    or longer when that gave no sample of `boom` (a small share of the
    loop): a busy machine starves the sampler, --blocking most (86 samples
    in 1 s once, none in boom)."""
    for duration in ("1", "3", "6"):
        doc = _attach_looping(tmp_path, python, str(TARGETS / "raiser.py"), duration, "5000", *more)
        right, wrong = _boom_calls(doc)
        if right or wrong:
            break
    return doc, right, wrong


def _boom_calls(doc: dict) -> tuple:
    """Samples of raiser.py's `boom` under `caller` at its call line, and
    elsewhere (which no real call path has)."""
    source = TARGETS / "raiser.py"
    call_line = next(i for i, t in enumerate(source.read_text().splitlines(), 1) if "BOOM_CALL" in t)
    funcs, nodes = doc["functions"], doc["nodes"]
    col = doc["node_fields"].index("samples")
    right = wrong = 0
    for n in nodes:
        if funcs[n[2]]["name"] == "boom":
            parent = nodes[n[0]]
            if funcs[parent[2]]["name"] == "caller" and parent[3] == call_line:
                right += n[col]
            else:  # under caller at another line, or under another function (main: caller skipped)
                wrong += n[col]
    return right, wrong


@pytest.mark.parametrize("python", interpreters())
def test_blocking_attach_is_exact(tmp_path, python):
    """With --blocking every stack is read from stopped threads: the loop
    that can fool two reads of a running thread (above) gives not one
    impossible stack, and no stack is cut or torn (a thread that did not
    stop in time aside: _blocking_stacks_whole). The program runs on
    afterwards, untraced (checked by _attach_looping)."""
    doc, right, wrong = _attach_raiser(tmp_path, python, "--blocking")
    meta = doc["meta"]
    assert right > 0, (right, wrong, meta["samples"])
    _blocking_stacks_whole(meta, wrong)
    assert float(meta["paused_s"]) > 0
    col = doc["node_fields"].index("samples")
    assert sum(n[col] for n in doc["nodes"]) >= int(meta["samples"]) * 9 // 10


@pytest.mark.parametrize("python", interpreters())
def test_attach_names_threads(tmp_path, python):
    """Thread names of another process come from its threading module, read
    from its memory: every layout of instance attributes (plain, managed,
    inline values, a made __dict__) and a non-ASCII name."""
    p = subprocess.Popen([python, str(TARGETS / "parked.py")], stdout=subprocess.PIPE, text=True)
    try:
        truth = json.loads(p.stdout.readline())
        out = tmp_path / "a.json"
        r = pyro("attach", str(p.pid), "--duration", "0.4", "-o", str(out))
        assert r.returncode == 0, r.stderr
        doc = json.loads(out.read_text())
        got = {t["name"] for t in doc["threads"]}
        want = set(truth["names"].values()) - {"snapshot"}  # that one has ended
        assert want <= got, (want, got)
    finally:
        p.kill()
        p.wait()


def test_attach_target_exits_is_normal(tmp_path):
    """The program ends while attached: what was recorded is written. It is
    told to end once sampling has begun (a busy machine can take longer to
    start pyrometer than any fixed lifetime), after 0.3 s of its own CPU."""
    code = "import sys, time\nsys.stdin.readline()\nt = time.thread_time()\nwhile time.thread_time() - t < 0.3: pass"
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, text=True)
    try:
        out = tmp_path / "e.pyro"
        a = subprocess.Popen(
            [sys.executable, "-m", "pyrometer", "attach", str(p.pid), "-o", str(out)], stderr=subprocess.PIPE, text=True
        )
        try:
            started = a.stderr.readline()
            assert "sampling process" in started, started
            p.stdin.write("end\n")
            p.stdin.close()
            _, err = a.communicate(timeout=120)
        finally:
            a.kill()
            a.wait()
        assert a.returncode == 0, err
        assert "exited" in err
        assert "<module>" in pyro("report", str(out)).stdout
    finally:
        p.kill()
        p.wait()


def test_memory_bounded_by_distinct_stacks():
    """Nodes grow with distinct stacks, not with samples."""
    from pyrometer import _core

    code = compile("def f(n):\n    return n if n < 2 else f(n-1) + f(n-2)\n", "m.py", "exec")
    ns: dict = {}
    exec(code, ns)
    s = _core.Sampler(rate=5000)
    counts = []
    s.start()
    for _ in range(3):
        end = time.perf_counter() + 0.5
        while time.perf_counter() < end:
            ns["f"](15)
        counts.append(s.take().counts["nodes"])
    s.stop()
    assert max(counts) < 400, counts  # fib(15): a few hundred distinct paths at most


def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def _sampled_fib():
    """A stopped in-process Sampler (2 kHz) that watched fib(20) run for 0.5 s,
    or longer until it took 500 samples (a busy machine starves it)."""
    from pyrometer import _core

    s = _core.Sampler(rate=2000)
    s.start()
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < 0.5 or (s.info["samples"] < 500 and elapsed < 60):
        _fib(20)
    s.stop()
    return s


def test_busy_recursion_is_read_once_then_cut():
    """Fast deep recursion changes its innermost frames under every read:
    after two rounds cut back despite every try, a thread gets one try per
    round (then the cut, which is what the retries ended in anyway), with
    all the tries again every 16th round. Still no torn stack."""
    info = _sampled_fib().info
    assert info["samples"] > 100
    # With a CPU to itself, fib's stack changes under nearly every read
    # (partial ~ samples): three tries a round would be ~2 rereads a sample,
    # one try with a probe every 16th round is ~0.15. (When the sampler
    # shares a CPU with the program, it reads while fib is preempted: few
    # partial stacks, few rereads; the bound holds all the same.)
    # On a busy machine reads alternate between a preempted fib (whole stacks, which end the
    # one-try state) and a running one, so more rounds get every try again; what still tells
    # the mechanism from three tries a round is the rereads per cut sample: three tries that
    # all failed are two rereads each, this mechanism's are at most ~1.
    assert info["rereads"] < max(info["samples"] / 2, 1.5 * info["partial"]), info


def test_fast_recursion_keeps_its_samples(tmp_path):
    """A stack whose recursion went deeper between the two reads of a sample
    keeps what it had (it was dropped as torn: 35% of fib's samples kept on
    3.9, 75% on 3.12), and a frame whose call already ended is never taken
    for a caller (3.9/3.10 keep ended frames on a free list, linked: on fib
    that made impossible 1024-deep stacks)."""
    # 3.9/3.10 read frames one by one; the innermost ones of fib are often
    # gone before they are read (~70% kept); 3.11+ copy the stack (96-98%).
    # A sampler thread descheduled mid-read on a busy machine tears more
    # stacks (54.7% once on 3.9): such a starved measurement is taken again.
    want = 0.9 if sys.version_info >= (3, 11) else 0.55
    tries = []
    for attempt in range(3):
        s = _sampled_fib()
        samples = s.info["samples"]
        path = tmp_path / f"fib{attempt}.json"
        s.take().write(str(path), "json")
        d = json.loads(path.read_text())
        kept = sum(n[d["node_fields"].index("samples")] for n in d["nodes"])
        tries.append((kept, samples))
        if kept >= samples * want:
            break
    assert kept >= samples * want, tries
    names = [f["name"] for f in d["functions"]]
    fib_depth: dict = {}
    for i, n in enumerate(d["nodes"]):
        if names[n[2]] != "_fib":
            continue
        parent = names[d["nodes"][n[0]][2]] if n[0] >= 0 else None
        assert parent in ("_fib", "_sampled_fib"), parent
        fib_depth[i] = fib_depth.get(n[0], 0) + 1
    assert 1 < max(fib_depth.values()) <= 21, max(fib_depth.values())  # fib(20): 21 deep


# ==== formats ====


def test_every_output_format(tmp_path):
    base = tmp_path / "p"
    outs = {}
    for ext in (".svg", ".speedscope.json", ".collapsed", ".prof", ".json", ".pyro", ".txt"):
        path = Path(str(base) + ext)
        r = pyro("run", "-o", str(path), target("shapes.py"))
        assert r.returncode == 0, r.stderr
        outs[ext] = path
    svg = ET.parse(outs[".svg"]).getroot()
    assert svg.tag.endswith("svg")
    frames = [g for g in svg.iter() if g.tag.endswith("g") and g.get("class") == "f"]
    assert any("leaf" in g.get("data-l") for g in frames)
    assert "function search()" in outs[".svg"].read_text()  # self-contained, interactive
    sc = json.loads(outs[".speedscope.json"].read_text())
    assert sc["$schema"].startswith("https://www.speedscope.app/")
    prof = sc["profiles"][0]
    assert prof["type"] == "sampled" and len(prof["samples"]) == len(prof["weights"]) > 0
    assert all(0 <= i < len(sc["shared"]["frames"]) for s in prof["samples"] for i in s)
    folded = outs[".collapsed"].read_text().splitlines()
    assert all(line.rsplit(" ", 1)[1].isdigit() for line in folded)
    assert any(line.split(" ", 1)[0].startswith("<module>") for line in folded)
    st = pstats.Stats(str(outs[".prof"]))
    assert any(k[2] == "leaf" for k in st.stats)
    text = outs[".txt"].read_text()
    assert "Hottest lines" in text and "Threads" in text and "MainThread" in text
    again = pyro("report", "--format", "collapsed", str(outs[".pyro"]))
    assert again.returncode == 0 and "leaf" in again.stdout


def test_collapsed_counts_samples(tmp_path):
    out = tmp_path / "c.pyro"
    assert pyro("run", "-o", str(out), target("shapes.py")).returncode == 0
    folded = pyro("report", "--format", "collapsed", str(out)).stdout
    doc = json.loads(pyro("report", "--format", "json", str(out)).stdout)
    col = doc["node_fields"].index("samples")
    assert sum(int(ln.rsplit(" ", 1)[1]) for ln in folded.splitlines()) == sum(r[col] for r in doc["nodes"])


def test_report_folds_library_frames(tmp_path):
    prog = tmp_path / "lib.py"
    prog.write_text("import json\nx = [list(range(50))] * 200\nfor _ in range(400):\n    json.loads(json.dumps(x))\n")
    r = pyro("run", "--threshold", "0", str(prog))
    assert r.returncode == 0, r.stderr
    assert "library frame" in r.stderr
    r = pyro("run", "--threshold", "0", "--show-all", str(prog))
    assert "library frame" not in r.stderr.split("Hottest lines")[0]


# ==== top ====


@pytest.mark.parametrize("blocking", [[], ["--blocking"]], ids=["running", "blocking"])
def test_top_runs_a_command_and_shows_functions(blocking):
    # 1.2 s, longer when a busy machine took most of it to start the command
    for duration in ("1.2", "3", "6"):
        r = run(
            [
                sys.executable,
                "-m",
                "pyrometer",
                "top",
                "--interval",
                "0.5",
                "--duration",
                duration,
                *blocking,
                "--",
                sys.executable,
                target("shapes.py"),
                "serve",
            ]
        )
        if r.returncode != 0 or "leaf (" in r.stdout:
            break
    assert r.returncode == 0, r.stderr
    assert "%Own" in r.stdout and "leaf (" in r.stdout and "MainThread" in r.stdout


def test_blocking_needs_to_be_the_only_tracer():
    """A process a debugger traces cannot be stopped by another: --blocking
    says who traces it, in one line, status 6; reading without stopping
    still works."""
    import ctypes

    p = subprocess.Popen([sys.executable, target("raiser.py")], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        libc = ctypes.CDLL(None, use_errno=True)
        PTRACE_SEIZE = 0x4206
        assert libc.ptrace(PTRACE_SEIZE, p.pid, None, None) == 0, ctypes.get_errno()
        for cmd in (["attach", "--duration", "0.2"], ["dump"], ["top", "--duration", "0.2"]):
            r = pyro(*cmd, "--blocking", str(p.pid))
            assert r.returncode == 6, (cmd, r.stderr)
            assert f"being traced by process {os.getpid()}" in r.stderr and r.stderr.count("\n") == 1
        r = pyro("dump", str(p.pid))  # (a stack raising every 3 µs may be cut, even to nothing)
        assert r.returncode == 0 and '"MainThread"' in r.stdout, r.stderr
    finally:
        p.kill()
        p.wait()


# ==== bad input ====


@pytest.mark.parametrize("cmd", [["attach"], ["top"]])
def test_live_commands_bad_input(cmd):
    r = pyro(*cmd, "999999999")
    assert r.returncode == 5 and "no process with id" in r.stderr and r.stderr.count("\n") == 1
    p = subprocess.Popen(["sleep", "60"])
    try:
        r = pyro(*cmd, str(p.pid))
        assert r.returncode == 7 and "not running CPython" in r.stderr and r.stderr.count("\n") == 1
    finally:
        p.kill()
        p.wait()
    assert pyro(*cmd, "abc").returncode == 2


def test_attach_not_permitted():
    if os.geteuid() != 0 or not os.access("/usr/bin/python3", os.X_OK):
        pytest.skip("needs root and /usr/bin/python3 to run a process as another user")

    def as_nobody():
        os.setgid(65534)
        os.setuid(65534)

    p = subprocess.Popen(
        ["/usr/bin/python3", "-c", "import time; print(1, flush=True); time.sleep(60)"],
        preexec_fn=as_nobody,  # noqa: PLW1509 (the test process has no other thread)
        stdout=subprocess.PIPE,
        cwd="/",
    )
    try:
        p.stdout.readline()
        r = subprocess.run(
            [sys.executable, "-m", "pyrometer", "attach", str(p.pid), "--duration", "1"],
            capture_output=True,
            text=True,
            preexec_fn=_drop_ptrace_capability,
        )
        assert r.returncode == 6 and "SYS_PTRACE" in r.stderr and r.stderr.count("\n") == 1
    finally:
        p.kill()
        p.wait()


def test_sample_rate_bounds():
    assert pyro("run", "--rate", "0", target("fibrec.py")).returncode == 2
    assert pyro("run", "--rate", "200000", target("fibrec.py")).returncode == 2
    r = pyro("run", "--rate", "10000", target("fibrec.py"), "20")
    assert r.returncode == 0 and "10000 Hz" in r.stderr


def test_stop_does_not_wait_out_the_interval():
    """At 1 Hz the sampling thread sleeps a second between rounds: stopping
    wakes it instead of waiting (a `run` of a short program ends at once)."""
    from pyrometer import _core

    for _ in range(3):  # a busy machine may delay one stop: sleeping through delays every one
        s = _core.Sampler(rate=1)
        s.start()
        time.sleep(0.05)
        t = time.monotonic()
        s.stop()
        took = time.monotonic() - t
        if took < 0.5:
            break
    assert took < 0.5  # 0.95 s if it slept through
    assert pyro("run", "--rate", "1", "-c", "pass").returncode == 0


# ==== the tree keeps every sample, folded or not ====

_LIBRARY_CALLS = """\
import functools, json, re, threading


def hot(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def key(x):
    return hot(200) + x


def hook(d):
    hot(300)
    return d


def main():
    for _ in range(40):
        sorted(range(30), key=key)
        json.loads('[{"a": 1}, {"b": [2, {"c": 3}]}]', object_hook=hook)
        re.sub(r"[0-9]", lambda m: str(hot(300)), "a1b2c3d4")
        functools.reduce(lambda a, b: a + hot(300), range(20), 0)
        t = threading.Thread(target=hot, args=(20000,))
        t.start()
        t.join()


main()
"""

_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def _seconds(cell: str) -> tuple[float, float]:
    """A tree cell ("1.234s", "45.6ms", "789us", "0") as seconds, with how
    far its rounding can be off."""
    if cell == "0":
        return 0.0, 0.0
    for unit in ("ms", "us", "s"):
        if cell.endswith(unit):
            digits = cell[: -len(unit)]
            decimals = len(digits.split(".")[1]) if "." in digits else 0
            return float(digits) * _UNIT[unit], 0.5 * 10.0**-decimals * _UNIT[unit]
    raise AssertionError(f"not a duration: {cell!r}")


def _tree_lines(text: str) -> list[tuple[int, float, float, float, str]]:
    """(depth, total, self, rounding, name) of every line of the call tree
    (threads one after the other; a thread header resets the depth)."""
    import re

    rows = []
    for line in text.split("Hottest lines")[0].splitlines():
        if line.startswith("-- thread"):
            rows.append((-1, 0.0, 0.0, 0.0, line))
            continue
        m = re.match(r"^\s*(\S+)\s+\d+\.\d%\s+(\S+)  (.*)$", line)
        if not m:
            continue
        rest = m.group(3)
        name = rest.lstrip(" │├└─")
        depth = (len(rest) - len(name)) // 3
        (total, e1), (own, e2) = _seconds(m.group(1)), _seconds(m.group(2))
        rows.append((depth, total, own, e1 + e2, name))
    return rows


def test_tree_totals_are_self_plus_children(tmp_path):
    """Every line of the sample tree, with library frames folded or shown,
    totals its own time and its children's: time spent in folded library
    frames (json's decoder, re's substitution, the sort, functools.reduce,
    threading's bootstrap) stays in the "[N library frames]" line that
    replaces them (it was lost before)."""
    prog = tmp_path / "libcalls.py"
    prog.write_text(_LIBRARY_CALLS)
    pyro_file = tmp_path / "l.pyro"
    r = pyro("run", "-o", str(pyro_file), str(prog))
    assert r.returncode == 0, r.stderr
    for extra in ([], ["--show-all"]):
        r = pyro("report", "--threshold", "0", *extra, str(pyro_file))
        assert r.returncode == 0, r.stderr
        rows = _tree_lines(r.stdout)
        assert len(rows) > 10, r.stdout
        checked = 0
        for i, (depth, total, own, err, name) in enumerate(rows):
            if depth < 0:
                continue
            kids, slack = 0.0, err
            for d, t, _, e, _ in rows[i + 1 :]:
                if d <= depth:
                    break
                if d == depth + 1:
                    kids += t
                    slack += e
            assert abs(total - (own + kids)) <= slack + 1e-9, (name, total, own, kids, r.stdout)
            checked += 1
        assert checked == sum(1 for row in rows if row[0] >= 0)
        if not extra:
            assert any(name.startswith("[") and "library frame" in name for *_, name in rows), r.stdout


# ==== a sample profile as a table ====


def test_sample_table_sorts_limits_and_counts_samples(tmp_path):
    """--sort and --limit hold for a sample profile's table (run and report),
    and its header and columns count samples and seconds, not calls."""
    import re

    prog = tmp_path / "libcalls.py"
    prog.write_text(_LIBRARY_CALLS)
    pyro_file = tmp_path / "t.pyro"
    r = pyro("run", "-o", str(pyro_file), str(prog))
    assert r.returncode == 0, r.stderr
    r = pyro("run", "--format", "table", "--sort", "tottime", "--limit", "3", "--callers", "0", str(prog))
    assert r.returncode == 0, r.stderr
    for text in (
        r.stderr,
        pyro("report", "--format", "table", "--sort", "tottime", "--limit", "3", str(pyro_file)).stdout,
    ):
        assert re.search(r"^ +\d+ samples in \d+\.\d{3} seconds \(wall clock, 1000 Hz\)$", text, re.M), text
        assert "function calls" not in text and "ncalls" not in text and "percall" not in text, text
        assert "Ordered by: own time" in text and "due to restriction <3>" in text, text
        rows = text.split("filename:lineno(function)\n", 1)[1].split("\n\n")[0].splitlines()
        assert len(rows) == 3, text
        own = [float(row.split()[1]) for row in rows]
        assert own == sorted(own, reverse=True), text
    by_samples = pyro("report", "--format", "table", "--sort", "ncalls", "--limit", "0", str(pyro_file)).stdout
    assert "Ordered by: samples" in by_samples and "restriction" not in by_samples, by_samples
    rows = by_samples.split("filename:lineno(function)\n", 1)[1].split("\n\n")[0].splitlines()
    counts = [int(row.split()[0]) for row in rows]
    assert counts == sorted(counts, reverse=True) and len(rows) > 3, by_samples
    by_name = pyro("report", "--format", "table", "--sort", "name", "--limit", "5", str(pyro_file)).stdout
    assert "Ordered by: function name" in by_name and "restriction <5>" in by_name, by_name
    # the report's hottest lines follow them too
    text = pyro("report", "--sort", "ncalls", "--limit", "2", str(pyro_file)).stdout
    hot = text.split("Hottest lines", 1)[1].split("\n\n")[0].splitlines()
    assert "by samples" in hot[0] and len(hot) == 2 + 2, text


def test_no_samples_says_why(tmp_path):
    """A program that ends before the first sample: every output says so and
    how to get samples, instead of "over 0" and a blank flame graph."""
    why = "No samples: the program ended before the first sample was taken (at 1 Hz, one sample every 1.000s)"
    r = pyro("run", "--rate", "1", "-c", "pass")
    assert r.returncode == 0, r.stderr
    assert why in r.stderr and "--rate" in r.stderr and "over 0," not in r.stderr, r.stderr
    r = pyro("run", "--rate", "1", "--format", "table", "-c", "pass")
    assert "0 samples in" in r.stderr and why in r.stderr, r.stderr
    svg, sc = tmp_path / "e.svg", tmp_path / "e.speedscope.json"
    for out in (svg, sc):
        r = pyro("run", "--rate", "1", "-o", str(out), "-c", "pass")
        assert r.returncode == 0, r.stderr
    texts = [t.text or "" for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert any(why in t for t in texts), texts
    assert why in json.loads(sc.read_text())["name"]


# ==== short library paths ====


def test_library_paths_relative_to_sys_path(tmp_path):
    """Standard-library frames are labelled by their path below their sys.path
    entry (random.py:N, json/encoder.py:N) in the flame graph, the tree and the
    table; the flame graph keeps the full path for hover. The program's
    sys.path travels with the profile."""
    import random as stdlib_random

    prog = tmp_path / "shuffle.py"
    prog.write_text(
        "import json, random\nx = list(range(300))\nfor _ in range(1500):\n"
        "    random.shuffle(x)\n    json.dumps({'a': x})\n"
    )
    pyro_file, svg = tmp_path / "r.pyro", tmp_path / "r.svg"
    for _ in range(3):  # a busy machine can starve the sampling thread of a short run: again
        assert pyro("run", "-o", str(pyro_file), str(prog)).returncode == 0
        doc = json.loads(pyro("report", "--format", "json", str(pyro_file)).stdout)
        if int(doc["meta"]["samples"]) >= 50:
            break
    meta = doc["meta"]
    assert os.path.dirname(stdlib_random.__file__) in meta["sys_path"].split(":"), meta
    assert pyro("report", "-o", str(svg), str(pyro_file)).returncode == 0
    full = stdlib_random.__file__
    frames = [g for g in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "f"]
    # the qualified name from 3.11 on, the name before
    shuffle = [g for g in frames if g.get("data-l", "").split(" (")[0] in ("Random.shuffle", "shuffle")]
    assert shuffle, [g.get("data-l") for g in frames]
    assert " (random.py:" in shuffle[0].get("data-l")
    assert (
        f"({full}:" in shuffle[0].get("data-i")
        and f"({full}:" in shuffle[0].find("{http://www.w3.org/2000/svg}title").text
    )
    assert not any(full in g.get("data-l") for g in frames)
    tree = pyro("report", "--show-all", "--threshold", "0", str(pyro_file)).stdout
    assert "shuffle  random.py:" in tree and full not in tree.split("Hottest lines")[0], tree
    table = pyro("report", "--format", "table", "--limit", "0", str(pyro_file)).stdout
    assert "random.py:" in table and full not in table, table
