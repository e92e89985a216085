"""Call counts are exactly cProfile's: every function, every caller edge.

Each target runs once under cProfile and once under pyrometer (same Python,
same absolute path); every row whose function lives in the target file, and
every caller edge from such a function (builtins included), must agree on
ncalls and primitive calls.
"""

from __future__ import annotations

import pstats
import sys

import pytest
from conftest import TARGETS, pyro, run, target

MONITORING = sys.version_info >= (3, 12)
#: every way pyrometer can be fed on this Python, with builtins traced
BACKENDS = ["auto", "monitoring", "frame"] if MONITORING else ["auto"]
#: ... and without builtins
BACKENDS_NO_BUILTINS = ["auto", "monitoring" if MONITORING else "legacy"]
TARGETS_ARGS = [
    ("fibrec.py", ["15"]),
    ("gens.py", []),
    ("excs.py", []),
    ("methods.py", []),
    ("julia_small.py", ["30"]),
    ("finalizers.py", []),
]


def load(path) -> dict:
    return pstats.Stats(str(path)).stats


def cprofile(tmp_path, name, args=(), threads=False):
    out = tmp_path / "cprofile.prof"
    if threads and not MONITORING:
        cmd = [sys.executable, str(TARGETS / "_cprofile_threads.py"), str(out), target(name), *args]
    else:
        cmd = [sys.executable, "-m", "cProfile", "-o", str(out), target(name), *args]
    r = run(cmd)
    assert r.returncode == 0, r.stderr
    return load(out), r.stdout


def pyrometer(tmp_path, name, args=(), extra=()):
    out = tmp_path / "pyrometer.prof"
    r = pyro("run", "--mode", "trace", *extra, "-o", str(out), target(name), *args)
    assert r.returncode == 0, r.stderr
    return load(out), r.stdout


def compare(theirs: dict, ours: dict, file: str, *, primitive=True, edges=True):
    def in_file(key):
        return key[0] == file

    t_keys = {k for k in theirs if in_file(k)}
    o_keys = {k for k in ours if in_file(k)}
    assert o_keys == t_keys, f"functions differ: only cProfile {t_keys - o_keys}, only pyrometer {o_keys - t_keys}"
    problems = []
    for k in sorted(t_keys):
        tcc, tnc = theirs[k][0], theirs[k][1]
        occ, onc = ours[k][0], ours[k][1]
        if onc != tnc or (primitive and occ != tcc):
            problems.append(f"{k}: cProfile {tnc}/{tcc}, pyrometer {onc}/{occ}")
    if edges:
        # every callee (builtins too) of a function of the file
        callees = set()
        for k, row in theirs.items():
            callees |= {(c, k) for c in row[4] if in_file(c)}
        o_callees = set()
        for k, row in ours.items():
            o_callees |= {(c, k) for c in row[4] if in_file(c)}
        if callees != o_callees:
            problems.append(
                f"caller edges differ: only cProfile {callees - o_callees}, only pyrometer {o_callees - callees}"
            )
        for caller, callee in sorted(callees & o_callees):
            t = theirs[callee][4][caller][:2]
            o = ours[callee][4][caller][:2]
            if t != o:
                problems.append(f"{caller} -> {callee}: cProfile {t}, pyrometer {o}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,args", TARGETS_ARGS)
def test_counts_match_cprofile(tmp_path, name, args, backend):
    theirs, out1 = cprofile(tmp_path, name, args)
    ours, out2 = pyrometer(tmp_path, name, args, extra=["--backend", backend])
    assert out1 == out2  # the program behaved the same
    compare(theirs, ours, target(name))


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_match_cprofile(tmp_path, backend):
    theirs, _ = cprofile(tmp_path, "threads.py", threads=True)
    ours, _ = pyrometer(tmp_path, "threads.py", extra=["--backend", backend])
    # cProfile 3.12+ puts every thread on one stack: its primitive counts and
    # caller edges are wrong when threads interleave, so only totals compare.
    compare(theirs, ours, target("threads.py"), primitive=not MONITORING, edges=not MONITORING)
    ours_funcs = {k[2]: v for k, v in ours.items() if k[0] == target("threads.py")}
    assert ours_funcs["worker"][1] == 3 and ours_funcs["worker"][0] == 3
    assert ours_funcs["work_item"][1] == 300 + 310 + 320


def test_julia_abs_count(tmp_path):
    ours, _ = pyrometer(tmp_path, "julia_small.py", ["30"])
    abs_row = ours[("~", 0, "<built-in method builtins.abs>")]
    callers = abs_row[4]
    assert list(callers) == [(target("julia_small.py"), 8, "calculate_z_serial_purepython")]


def cprofile_no_builtins(tmp_path, name, args):
    """cProfile without builtins. enable() is told so as well: from 3.14 its
    builtins argument defaults to True and overrides the constructor's
    (gh-126220); before, an omitted one left the constructor's in force."""
    out = tmp_path / "c.prof"
    code = (
        "import cProfile,sys; sys.argv=sys.argv[1:]; p=cProfile.Profile(builtins=False); "
        "g={'__name__':'__main__','__file__':sys.argv[0]}; c=compile(open(sys.argv[0],'rb').read(),"
        f"sys.argv[0],'exec'); p.enable(builtins=False); exec(c,g); p.disable(); p.dump_stats({str(out)!r})"
    )
    r = run([sys.executable, "-c", code, target(name), *args])
    assert r.returncode == 0, r.stderr
    return load(out)


@pytest.mark.parametrize("backend", BACKENDS_NO_BUILTINS)
@pytest.mark.parametrize("name,args", TARGETS_ARGS)
def test_no_builtins_matches_cprofile_without_builtins(tmp_path, name, args, backend):
    theirs = cprofile_no_builtins(tmp_path, name, args)
    ours, _ = pyrometer(tmp_path, name, args, extra=["--no-builtins", "--backend", backend])
    assert not [k for k in ours if k[0] == "~"]
    compare(theirs, ours, target(name))
