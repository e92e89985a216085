"""`with pyrometer.memory() as m: ...`: the totals (peak_bytes, alloc_bytes,
leaked_bytes), print, render and save with a metric. Each case runs in a
child process (an allocator hook that went wrong could take the interpreter
down)."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from conftest import run
from memory_json import by_line, negatives

from pyrometer import _core

pytestmark = pytest.mark.skipif(not hasattr(_core, "MemoryTracker"), reason="this build has no MemoryTracker")

MIB = 1024 * 1024


def child(code: str, tmp_path, env: dict | None = None) -> str:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(code))
    r = run([sys.executable, str(script)], cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_totals_and_outputs(tmp_path):
    out = child(
        """
        import json, sys
        import pyrometer

        kept = []

        def keep():
            kept.append(bytearray(6 << 20))  # KEEP

        def churn():
            temp = bytearray(3 << 20)  # TEMP
            del temp

        with pyrometer.memory(exact=True) as m:
            assert m.running
            keep()
            churn()
        assert not m.running
        m.save("m.json")
        m.save("leaked.collapsed", metric="leaked")
        m.save("m.pyro")
        m.save("m.svg", metric="allocated")
        m.print(file=open("report.txt", "w"))
        print(json.dumps({
            "peak": m.peak_bytes, "alloc": m.alloc_bytes, "leaked": m.leaked_bytes,
            "totals": m.totals(), "str": str(m)[:10000], "render": m.render("collapsed", metric="peak"),
        }))
        """,
        tmp_path,
    )
    got = json.loads(out)
    assert 9 * MIB <= got["peak"] <= 9 * MIB + 256 * 1024  # both buffers live at once
    assert 9 * MIB <= got["alloc"] <= 9 * MIB + 256 * 1024
    assert 6 * MIB <= got["leaked"] <= 6 * MIB + 256 * 1024
    assert got["totals"]["peak_bytes"] == got["peak"]
    assert 0 < got["totals"]["peak_allocs"] <= got["totals"]["allocs"]
    assert "keep" in got["str"]
    assert "keep" in got["render"] and "churn" in got["render"]
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["meta"]["mode"] == "memory" and negatives(doc) == []
    prog = str(tmp_path / "prog.py")
    lines = by_line(doc)
    keep = [v for (f, _), v in lines.items() if f == prog and v["leaked_bytes"] >= 6 * MIB]
    assert len(keep) == 1
    leaked = (tmp_path / "leaked.collapsed").read_text()
    assert "keep" in leaked and "churn" not in leaked
    assert _core.Profile.load(str(tmp_path / "m.pyro")).meta["mode"] == "memory"
    assert (tmp_path / "m.svg").read_text().startswith("<")
    assert "keep" in (tmp_path / "report.txt").read_text()


def test_sampled_and_seeded(tmp_path):
    out = child(
        """
        import json
        import pyrometer

        with pyrometer.memory(sample_bytes=64 * 1024) as m:
            data = [bytearray(1 << 20) for _ in range(16)]
        with pyrometer.memory() as d:
            pass
        print(json.dumps({"alloc": m.alloc_bytes, "leaked": m.leaked_bytes,
                          "interval": m.profile.meta["mem_interval"], "default": d.profile.meta["mem_interval"]}))
        """,
        tmp_path,
        env={"PYROMETER_SEED": "99"},
    )
    got = json.loads(out)
    assert got["interval"] == str(64 * 1024) and got["default"] == "4096"
    assert abs(got["alloc"] - 16 * MIB) <= 0.01 * 16 * MIB
    assert abs(got["leaked"] - 16 * MIB) <= 0.01 * 16 * MIB


def test_errors(tmp_path):
    out = child(
        """
        import pyrometer

        for bad in (dict(sample_bytes=0), dict(sample_bytes=-5)):
            try:
                pyrometer.memory(**bad)
            except ValueError as e:
                print("ValueError", bad)
        with pyrometer.memory():
            try:
                with pyrometer.memory():
                    pass
            except RuntimeError:
                print("RuntimeError nested")
        print("done")
        """,
        tmp_path,
    )
    assert out.splitlines() == [
        "ValueError {'sample_bytes': 0}",
        "ValueError {'sample_bytes': -5}",
        "RuntimeError nested",
        "done",
    ]


def test_bad_seed_env(tmp_path):
    out = child(
        """
        import pyrometer
        try:
            pyrometer.memory()
        except ValueError as e:
            print(e)
        """,
        tmp_path,
        env={"PYROMETER_SEED": "nope"},
    )
    assert "PYROMETER_SEED" in out
