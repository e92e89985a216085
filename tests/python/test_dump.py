"""`pyrometer dump`: every thread's stack read from another process's memory,
checked against the target's own view of its stacks, for targets running
every installed CPython (pyrometer itself runs on the test's Python)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import sysconfig
import time

import pytest
from conftest import TARGETS, pyro

PYENV_ROOT = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() or os.path.expanduser(
    "~/.pyenv"
)


#: the CPython versions read from outside, and their free-threaded builds
VERSIONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
FREE_THREADED = ("3.13", "3.14", "3.15")


def _installed() -> list[tuple[str, str]]:
    """(id, interpreter) of every installed target: "3.14" for the default
    build, "3.14t" for a free-threaded one (installed as versions/3.14.7t,
    its interpreter python3.14t), oldest first, free-threaded last."""
    found = []
    for v in VERSIONS:
        paths = sorted(
            p
            for p in glob.glob(os.path.join(PYENV_ROOT, "versions", v + ".*", "bin", "python" + v))
            if not p.split(os.sep)[-3].endswith("t")
        )
        if paths:
            found.append((v, paths[-1]))
    for v in FREE_THREADED:
        paths = sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", v + ".*t", "bin", "python" + v + "t")))
        if paths:
            found.append((v + "t", paths[-1]))
    return found


def interpreters():
    found = [pytest.param(path, id=vid) for vid, path in _installed()]
    return found or [pytest.param(sys.executable, id="self")]


def target_version(python: str) -> str:
    """How pyrometer names the version of a target run by `python`: as it
    names itself (3.15.0rc1), with "t" for a free-threaded build; only the
    minor for 3.9/3.10 (they keep no Py_Version: their file's name says)."""
    code = (
        "import platform, sys, sysconfig; v = platform.python_version();"
        " v = v if sys.version_info >= (3, 11) else '%d.%d' % sys.version_info[:2];"
        " print(v + ('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))"
    )
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def parked(request):
    """A target parked at known places; yields (process, its ground truth)."""
    python = request.param
    p = subprocess.Popen([python, str(TARGETS / "parked.py")], stdout=subprocess.PIPE, text=True)
    try:
        truth = json.loads(p.stdout.readline())
        truth["version"] = target_version(python)
        # the thread that printed the truth ends on its own; a busy machine
        # may not have run it to its end yet (it would be seen running)
        deadline = time.monotonic() + 60
        while len(os.listdir(f"/proc/{p.pid}/task")) > len(truth["names"]) - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        yield p, truth
    finally:
        p.kill()
        p.wait()


def _traced_state(pid: int) -> tuple:
    """(TracerPid, the run state letter of every thread) of process `pid`."""
    with open(f"/proc/{pid}/status") as f:
        tracer = next(int(line.split()[1]) for line in f if line.startswith("TracerPid:"))
    states = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            states.append(f.read().rsplit(")", 1)[1].split()[0])
    return tracer, states


@pytest.mark.parametrize("blocking", [False, True], ids=["running", "blocking"])
@pytest.mark.parametrize("parked", interpreters(), indirect=True)
def test_dump_matches_the_targets_own_stacks(parked, blocking):
    """Read as it runs, or with its threads stopped (--blocking): the same
    stacks, the run states from before the stop, and a blocking dump leaves
    the process untraced, with no thread stopped."""
    _check_dump(*parked, blocking)


HOST = "{}.{}".format(*sys.version_info[:2]) + ("t" if sysconfig.get_config_var("Py_GIL_DISABLED") else "")


def _oldest_and_newest():
    """The oldest and the newest installed version (default builds), each
    with an id that names the pairing: host3.9-reads-3.15."""
    default = [(vid, path) for vid, path in _installed() if not vid.endswith("t")]
    pairs = default[:1] + default[1:][-1:]
    return [pytest.param(path, id=f"host{HOST}-reads-{vid}") for vid, path in pairs]


@pytest.mark.parametrize("parked", _oldest_and_newest(), indirect=True)
def test_cross_version_oldest_and_newest(parked):
    """The suite runs with every installed version as the host: so the
    oldest host reads the newest target and the newest host reads the
    oldest (3.9 <-> 3.15), named so in the test ids, with every check of a
    dump (stacks, lines, thread names, the target's version)."""
    _check_dump(*parked, False)


def _check_dump(p, truth, blocking):
    for _ in range(3):
        r = pyro("dump", "--json", str(p.pid), *(["--blocking"] if blocking else []))
        assert r.returncode == 0, r.stderr
        d = json.loads(r.stdout)
        # a busy machine can leave a parked thread runnable for a while (woken, not yet back
        # in its wait: seen once for a --blocking dump of 3.11 with both CPUs busy): again
        if not any(t["running"] for t in d["threads"]):
            break
    assert d["pid"] == p.pid
    assert d["python"] == truth["version"]  # 3.15.0rc1 is no 3.15.0; 3.14.7t is free-threaded
    threads = {str(t["ident"]): t for t in d["threads"]}
    assert set(truth["stacks"]) <= set(threads)
    for ident, stack in truth["stacks"].items():
        got = [[f["name"], f["line"]] for f in threads[ident]["frames"]]
        assert got == stack, (truth["names"].get(ident), got, stack)
        assert threads[ident]["truncated"] is False
    # names come from threading._active in the target's memory
    for ident, name in truth["names"].items():
        if ident in threads:
            assert threads[ident]["name"] == name
    assert {"waiter", "sleeper", "generator", "pärker-ünïcode", "dict-made"} <= {t["name"] for t in d["threads"]}
    main = next(t for t in d["threads"] if t["name"] == "MainThread")
    assert main["native_id"] == p.pid and main["frames"][-1]["name"] == "<module>"
    assert main["frames"][0]["file"].endswith("parked.py") or main["frames"][0]["name"] == "sleep"
    # every thread is blocked: none runs, and the OS thread ids are real; a
    # free-threaded build has no GIL for a thread to hold (null: not false)
    for t in d["threads"]:
        assert t["running"] is False
        assert t["gil"] is (None if truth["version"].endswith("t") else False)
        assert os.path.exists(f"/proc/{p.pid}/task/{t['native_id']}")
    tracer, states = _traced_state(p.pid)
    assert tracer == 0 and not {"t", "T"} & set(states), (tracer, states)


@pytest.mark.parametrize("parked", interpreters()[-1:], indirect=True)
def test_dump_text(parked):
    p, _truth = parked
    r = pyro("dump", str(p.pid))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Process {p.pid}: ")
    assert '"MainThread" (idle)' in r.stdout and '"pärker-ünïcode" (idle)' in r.stdout
    assert ("waiting_leaf (" in r.stdout and "Worker.sleeper (" in r.stdout) or "sleeper (" in r.stdout
    assert "\033[" not in r.stdout
    r = pyro("dump", "--color", "always", str(p.pid))
    assert "\033[" in r.stdout


def _free_threaded():
    return [pytest.param(path, id=vid) for vid, path in _installed() if vid.endswith("t")] or [
        pytest.param(None, id="none-installed", marks=pytest.mark.skip(reason="no free-threaded build installed"))
    ]


@pytest.mark.parametrize("python", _free_threaded())
@pytest.mark.parametrize("gil", ["0", "1"], ids=["no-gil", "PYTHON_GIL=1"])
def test_free_threaded_gil_is_unknown_unless_enabled(python, gil):
    """A free-threaded target has no GIL for a thread to hold: `gil` is
    null, never false. Run with its GIL enabled (PYTHON_GIL=1) it has one:
    a spinning main thread is seen holding it."""
    code = "print('ready', flush=True)\nwhile True: pass\n"
    p = subprocess.Popen([python, "-c", code], stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHON_GIL=gil))
    try:
        assert p.stdout.readline().strip() == "ready"
        seen = set()
        for _ in range(50):
            r = pyro("dump", "--json", str(p.pid))
            assert r.returncode == 0, r.stderr
            main = next(t for t in json.loads(r.stdout)["threads"] if t["native_id"] == p.pid)
            seen.add(main["gil"])
            if gil == "1" and True in seen:
                break
        if gil == "0":
            assert seen == {None}, seen
        else:
            assert None not in seen and True in seen, seen
    finally:
        p.kill()
        p.wait()


def test_dump_no_such_process():
    r = pyro("dump", "999999999")
    assert r.returncode == 5 and "no process with id" in r.stderr and r.stderr.count("\n") == 1


def test_dump_not_python():
    p = subprocess.Popen(["sleep", "60"])
    try:
        r = pyro("dump", str(p.pid))
        assert r.returncode == 7 and "not running CPython" in r.stderr and r.stderr.count("\n") == 1
    finally:
        p.kill()
        p.wait()


def test_dump_bad_pid():
    assert pyro("dump", "abc").returncode == 2
    assert pyro("dump", "-5").returncode == 2


def _drop_ptrace_capability():
    """In the child: lose CAP_SYS_PTRACE for good (bounding set), keep root."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP, CAP_SYS_PTRACE = 24, 19
    if libc.prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_dump_not_permitted(tmp_path):
    """Reading a process of another user without CAP_SYS_PTRACE is refused,
    with what to change."""
    p = None
    if os.geteuid() != 0:
        target, pre = "1", None  # a normal user may not read init
    else:
        # root reads anything; so: a Python process of user nobody, read by a
        # root without CAP_SYS_PTRACE (Debian's python3 is runnable by nobody)
        system_python = "/usr/bin/python3"
        if not os.access(system_python, os.X_OK):
            pytest.skip("no /usr/bin/python3 to run a process as another user")

        def as_nobody():
            os.setgid(65534)
            os.setuid(65534)

        p = subprocess.Popen(
            [system_python, "-c", "import time; print(1, flush=True); time.sleep(60)"],
            preexec_fn=as_nobody,  # noqa: PLW1509 (the test process has no other thread)
            stdout=subprocess.PIPE,
            cwd="/",
        )
        p.stdout.readline()
        target, pre = str(p.pid), _drop_ptrace_capability
    try:
        r = subprocess.run(
            [sys.executable, "-m", "pyrometer", "dump", target], capture_output=True, text=True, preexec_fn=pre
        )
        assert r.returncode == 6, (r.returncode, r.stderr)
        assert "not permitted to read process" in r.stderr and r.stderr.count("\n") == 1
        if os.geteuid() == 0:  # the two causes: another user, and no CAP_SYS_PTRACE to be gained
            assert "runs as uid 65534, pyrometer as uid 0" in r.stderr
            assert "--cap-add SYS_PTRACE" in r.stderr and "sudo" not in r.stderr
        else:
            assert "SYS_PTRACE" in r.stderr or "sudo" in r.stderr
    finally:
        if p:
            p.kill()
            p.wait()


# ==== the advice matches the cause ====

NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # runnable by nobody (pyenv's live under /root)


def _has_ptrace_capability() -> bool:
    with open("/proc/self/status") as f:
        eff = next(line for line in f if line.startswith("CapEff:"))
    return bool(int(eff.split()[1], 16) >> 19 & 1)


def _nobody_target(dumpable: bool) -> subprocess.Popen:
    """A Python process of user nobody, made non-dumpable (as a process that
    changed its credentials is) unless `dumpable`."""
    code = (
        "import ctypes, os, time\n"
        f"os.setgid({NOBODY}); os.setuid({NOBODY})\n"
        f"ctypes.CDLL(None).prctl(4, {int(dumpable)}, 0, 0, 0)  # PR_SET_DUMPABLE\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(0.05)\n"
    )
    p = subprocess.Popen([SYSTEM_PYTHON, "-c", code], stdout=subprocess.PIPE, text=True, cwd="/")
    assert p.stdout.readline().strip() == "ready"
    return p


def _dump_as(uid: int, pid: int) -> subprocess.CompletedProcess:
    """`pyrometer dump PID` as user `uid`: pyrometer starts as root (its
    Python lives under /root) and drops to `uid` before it reads anything."""
    code = (
        "import os, sys, argparse, gettext, locale, textwrap, pyrometer.cli, pyrometer._access\n"
        "pyrometer.cli._parser(prog='x').format_help()  # what argparse loads late, loaded now\n"
        f"os.setgroups([]); os.setresgid({uid}, {uid}, {uid}); os.setresuid({uid}, {uid}, {uid})\n"
        f"status = pyrometer.cli.main(['dump', '{pid}'])\n"
        "sys.stdout.flush(); sys.stderr.flush(); os._exit(status)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd="/")


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not os.access(SYSTEM_PYTHON, os.X_OK),
    reason="needs root and /usr/bin/python3 to run processes as another user",
)


@needs_root
def test_not_dumpable_is_named_and_root_reads_it():
    """A process of the same user that is not dumpable: the advice names
    that (not the user), and root with CAP_SYS_PTRACE reads it after all."""
    p = _nobody_target(dumpable=False)
    try:
        r = _dump_as(NOBODY, p.pid)
        assert r.returncode == 6, (r.returncode, r.stderr)
        assert "not dumpable" in r.stderr and "runs as uid" not in r.stderr
        assert "sudo" in r.stderr and r.stderr.count("\n") == 1
        if _has_ptrace_capability():
            r = pyro("dump", str(p.pid))
            assert r.returncode == 0 and "MainThread" in r.stdout, r.stderr
    finally:
        p.kill()
        p.wait()


@needs_root
def test_another_user_is_named():
    """A dumpable process of another user: the advice names the user and
    root (which holds CAP_SYS_PTRACE here), nothing else."""
    p = _nobody_target(dumpable=True)
    try:
        r = _dump_as(1000, p.pid)
        assert r.returncode == 6, (r.returncode, r.stderr)
        assert f"runs as uid {NOBODY}, pyrometer as uid 1000: run it as uid {NOBODY}" in r.stderr
        assert "not dumpable" not in r.stderr and "container" not in r.stderr
        r = _dump_as(NOBODY, p.pid)  # the same user reads it
        assert r.returncode == 0 and "MainThread" in r.stdout, r.stderr
    finally:
        p.kill()
        p.wait()


def test_holding_ptrace_capability_is_not_told_to_add_it():
    """`dump 1` as root with CAP_SYS_PTRACE: if it is refused, the advice
    must not be to add the capability it holds."""
    r = pyro("dump", "1")
    assert r.returncode in (0, 6, 7), r.stderr
    if r.returncode == 6 and _has_ptrace_capability():
        assert "--cap-add" not in r.stderr and "sudo" not in r.stderr
        assert "holds CAP_SYS_PTRACE" in r.stderr and r.stderr.count("\n") == 1


def _facts(**changes):
    base = dict(
        uid=1000,
        gid=1000,
        cap_eff=0,
        cap_prm=0,
        cap_bnd=(1 << 41) - 1,
        seccomp=False,
        apparmor="",
        target_uids=[1000, 1000, 1000],
        target_gids=[1000, 1000, 1000],
        target_caps=0,
        proc_owner=1000,
        yama="0",
        ancestor=False,
        same_userns=True,
    )
    base.update(changes)
    return base


@pytest.mark.parametrize(
    "changes,says,never",
    [
        ({"yama": "1"}, ["ptrace_scope is 1", "ancestors", "sudo"], ["uid", "dumpable"]),
        ({"yama": "1", "ancestor": True}, ["no ownership"], ["ptrace_scope is"]),
        ({"yama": "2"}, ["ptrace_scope is 2", "sudo"], ["ptrace_scope=0"]),
        ({"yama": "3", "cap_eff": 1 << 19}, ["ptrace_scope is 3", "rebooted"], ["sudo", "cap-add"]),
        ({"target_uids": [0, 0, 0]}, ["runs as uid 0, pyrometer as uid 1000", "sudo"], ["cap-add"]),
        ({"proc_owner": 0}, ["not dumpable", "sudo"], ["runs as uid"]),
        ({"target_caps": 1 << 12}, ["cap_net_admin"], ["runs as uid"]),
        ({"uid": 0, "gid": 0, "cap_bnd": 0, "target_uids": [5, 5, 5]}, ["--cap-add SYS_PTRACE"], ["sudo"]),
        ({"uid": 0, "cap_eff": 1 << 19, "same_userns": False}, ["another user namespace"], ["sudo", "cap-add"]),
        ({"uid": 0, "cap_eff": 1 << 19, "seccomp": True}, ["seccomp", "holds CAP_SYS_PTRACE"], ["cap-add"]),
    ],
    ids=str,
)
def test_advice_names_only_what_would_help(changes, says, never):
    from pyrometer._access import advice

    text = advice(_facts(**changes))
    assert all(s in text for s in says), text
    assert not any(s in text for s in never), text
