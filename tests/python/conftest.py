"""Shared helpers: run pyrometer and plain Python as subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets"
REPO = HERE.parent.parent
EXAMPLES = REPO / "examples"

#: pyrometer as a module and as the installed console script
PYRO_MODULE = [sys.executable, "-m", "pyrometer"]
PYRO_SCRIPT = [str(Path(sys.executable).with_name("pyrometer"))]


def mentions_pyrometer_code(text: str) -> bool:
    """Does `text` (a traceback, a profile's file names) name a file of
    pyrometer's own: its installed package or its console script? Not the
    word "pyrometer", which a checkout's path (~/pyrometer/tests/...) has."""
    import pyrometer

    package = os.path.dirname(os.path.abspath(pyrometer.__file__))
    return package in text or PYRO_SCRIPT[0] in text


def run(
    cmd: list[str], *, cwd: Path | None = None, input: str | None = None, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    p = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdin=subprocess.PIPE if input is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )
    try:
        out, err = p.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        where = hang_report(p.pid)  # before the kill: where each of its threads waits
        p.kill()
        p.communicate()
        raise AssertionError(f"{cmd} did not end in {timeout} s; its threads and stacks then:\n{where}") from None
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def hang_report(pid: int) -> str:
    """Each thread's kernel state and wait channel, and the Python stacks
    (read by pyrometer dump), of process `pid` and its children: what a test
    that timed out says about where the command was stuck."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if entry.isdigit() and int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    pids.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    lines = []
    for p in pids:
        for tid in sorted(os.listdir(f"/proc/{p}/task") if os.path.isdir(f"/proc/{p}/task") else []):
            try:
                with open(f"/proc/{p}/task/{tid}/stat") as f:
                    stat = f.read()
                with open(f"/proc/{p}/task/{tid}/wchan") as f:
                    wchan = f.read()
            except OSError:
                continue
            comm, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
            lines.append(f"process {p} thread {tid} ({comm}): state {rest[0]}, waiting in {wchan or '-'}")
        try:
            dump = subprocess.run([*PYRO_MODULE, "dump", str(p)], capture_output=True, text=True, timeout=30)
            lines.append(dump.stdout + dump.stderr)
        except subprocess.TimeoutExpired:
            lines.append(f"pyrometer dump {p} did not end in 30 s")
    return "\n".join(lines)


def pyro(*args: str, **kw) -> subprocess.CompletedProcess:
    """Run `python -m pyrometer ARGS`."""
    return run(PYRO_MODULE + list(args), **kw)


def target(name: str) -> str:
    return str(TARGETS / name)


def one_line_refusal(r: subprocess.CompletedProcess, *words: str, never_ran: str = "") -> None:
    """A usage error (status 2): one line on stderr, naming each of `words`;
    with `never_ran`, the text the program prints when it runs is not in its
    output."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyrometer: "), r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    if never_ran:
        assert never_ran not in r.stdout


@pytest.fixture(params=["module", "script"])
def pyro_cmd(request) -> list[str]:
    """Both ways of starting pyrometer."""
    return PYRO_MODULE if request.param == "module" else PYRO_SCRIPT


def require_peer(module: str):
    """Import a peer tool installed for the tests; missing is a failure when
    the test runner installed the peers (PYROMETER_REQUIRE_PEERS=1)."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("PYROMETER_REQUIRE_PEERS") == "1":
            pytest.fail(f"peer tool {module!r} is not installed in the test environment")
        pytest.skip(f"{module} not installed")
