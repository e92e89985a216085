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


def run(
    cmd: list[str], *, cwd: Path | None = None, input: str | None = None, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    return subprocess.run(cmd, cwd=cwd, input=input, capture_output=True, text=True, env=full_env, timeout=timeout)


def pyro(*args: str, **kw) -> subprocess.CompletedProcess:
    """Run `python -m pyrometer ARGS`."""
    return run(PYRO_MODULE + list(args), **kw)


def target(name: str) -> str:
    return str(TARGETS / name)


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
