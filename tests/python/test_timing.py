"""Times mean what they say: consistent sums, wall vs CPU clock.

These check meaning, not speed: bounds are loose so a loaded machine cannot
fail them, yet a wrong clock (CPU time counted as wall, or sleep counted as
CPU) always does."""

from __future__ import annotations

import json
import pstats

from conftest import pyro, target


def profile(tmp_path, clock, *args):
    out = tmp_path / f"{clock}.prof"
    r = pyro("run", "--mode", "trace", "--clock", clock, "-o", str(out), target("sleepy.py"), *args)
    assert r.returncode == 0, r.stderr
    st = pstats.Stats(str(out))
    by_name = {k[2]: v for k, v in st.stats.items() if k[0] == target("sleepy.py")}
    return st, by_name, json.loads(r.stdout)


def test_wall_clock_counts_sleep_and_blocking(tmp_path):
    st, f, own = profile(tmp_path, "wall", "0.5", "0.2", "0.3")
    assert f["sleeper"][3] >= 0.45
    assert f["blocker"][3] >= 0.27
    assert f["burner"][3] >= 0.15  # 0.2 s of CPU: at least as long in wall time
    # each part, and the total, is what the program measured itself (on a
    # busy machine, 0.2 s of CPU can take seconds of wall time)
    for name in ("sleeper", "blocker", "burner"):
        assert abs(f[name][3] - own[name]) <= 0.15 * own[name] + 0.03, (name, f[name][3], own)
    assert abs(f["main"][3] - own["wall"]) <= 0.15 * own["wall"] + 0.03
    # every function: cumulative >= own time
    for key, (_cc, _nc, tt, ct, _callers) in st.stats.items():
        assert ct >= tt - 1e-9, key
    # own times add up to the total
    assert abs(st.total_tt - f["<module>"][3]) < 0.01 * st.total_tt + 1e-3


def test_cpu_clock_excludes_sleep_and_blocking(tmp_path):
    st, f, _own = profile(tmp_path, "cpu", "0.5", "0.3", "0.3")
    assert f["sleeper"][3] < 0.05
    assert f["blocker"][3] < 0.05
    assert 0.2 <= f["burner"][3] <= 1.0
    for key, (_cc, _nc, tt, ct, _callers) in st.stats.items():
        assert ct >= tt - 1e-9, key
