"""The Python API of exact line timing: `pyrometer.profile` (kernprof's
decorator: the function itself back, a no-op unless lines are timed),
`with pyrometer.lines(...) as p`, and `@pyrometer.profile(output=...)`."""

from __future__ import annotations

import json
import sys
import textwrap
import threading

import pytest
from conftest import pyro, run

import pyrometer


def engine():
    from pyrometer import _core

    if not hasattr(_core, "LineTimer"):
        pytest.fail("this build has no _core.LineTimer")


def by_name(p) -> dict[str, dict]:
    data = json.loads(p.render("json"))
    assert data["mode"] == "lines"
    return {f["qualname"].rsplit(".", 1)[-1]: f for f in data["functions"]}


def hits(func: dict) -> dict[int, int]:
    return {ln["line"]: ln["hits"] for ln in func["lines"]}


def line_of(func, text: str) -> int:
    import inspect

    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, line in enumerate(lines) if text in line)


def work(n):
    total = 0
    for i in range(n):
        total += i
    return total


class Shape:
    def __init__(self, n):
        self.n = n

    def area(self):
        return work(self.n)

    @property
    def size(self):
        return self.n


def gen(n):
    for i in range(n):
        yield i * 2


# ==== no engine needed ====


def test_import_is_cheap_and_profile_lazy():
    code = "import pyrometer, sys; print('pyrometer.api' in sys.modules, 'pyrometer._lines' in sys.modules)"
    r = run([sys.executable, "-c", code])
    assert r.stdout == "False False\n", r.stderr
    code = "from pyrometer import profile; import sys; print(profile.__module__, 'typing' in sys.modules)"
    r = run([sys.executable, "-c", code])
    assert r.returncode == 0 and r.stdout.startswith("pyrometer."), r.stderr


def test_bare_profile_returns_its_argument():
    from pyrometer import profile

    for obj in (work, Shape, Shape.area, Shape(1).area, vars(Shape)["size"], gen, len):
        assert profile(obj) is obj
        assert pyrometer.profile(obj) is obj


# ==== with the engine ====


def test_lines_block():
    engine()
    with pyrometer.lines(work) as p:
        work(10)
        work(5)
    f = by_name(p)["work"]
    assert f["calls"] == 2
    assert hits(f)[line_of(work, "total += i")] == 15
    text = str(p.render())
    assert "work" in text and "Line #" in text


def test_what_lines_takes(tmp_path):
    engine()
    with pyrometer.lines(Shape.area, vars(Shape)["size"], gen.__code__, Shape) as p:
        s = Shape(4)
        s.area()
        assert s.size == 4
        assert list(gen(3)) == [0, 2, 4]
    funcs = by_name(p)
    assert funcs["area"]["calls"] == 1 and funcs["size"]["calls"] == 1 and funcs["gen"]["calls"] == 1
    assert funcs["__init__"]["calls"] == 1  # the class: every function of its body
    assert hits(funcs["gen"])[line_of(gen, "yield")] == 3
    for ext in ("txt", "json", "pyro"):
        p.save(str(tmp_path / f"out.{ext}"))
        assert (tmp_path / f"out.{ext}").stat().st_size > 0
    with pytest.raises(TypeError):
        pyrometer.lines(len)


def test_profile_marks_for_a_later_block():
    engine()
    from pyrometer import profile

    def marked(n):
        return n + 1

    profile(marked)
    with pyrometer.lines() as p:
        marked(1)
    assert by_name(p)["marked"]["calls"] == 1


def test_lines_from_another_thread():
    engine()
    box = {}

    def body():
        with pyrometer.lines(work) as p:
            work(7)
        box["p"] = p

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert by_name(box["p"])["work"]["calls"] == 1


PROG = """\
import asyncio
import pyrometer


@pyrometer.profile(output={out!r})
def hot(n):
    s = 0
    for i in range(n):
        s += i
    return s


@pyrometer.profile(output={gout!r})
def numbers(n):
    for i in range(n):
        yield i


@pyrometer.profile(output={cout!r})
async def pause(n):
    await asyncio.sleep(0)
    return n


print(hot(10), hot(20), sum(numbers(4)), asyncio.run(pause(3)))
"""


def test_profile_with_output(tmp_path):
    engine()
    outs = {k: str(tmp_path / f"{k}.json") for k in ("out", "gout", "cout")}
    (tmp_path / "prog.py").write_text(PROG.format(**outs))
    r = run([sys.executable, "prog.py"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "45 190 6 3\n"
    hot = {f["qualname"]: f for f in json.loads((tmp_path / "out.json").read_text())["functions"]}["hot"]
    assert hot["calls"] == 2 and hits(hot)[9] == 30
    numbers = json.loads((tmp_path / "gout.json").read_text())["functions"]
    assert [f["calls"] for f in numbers if f["qualname"] == "numbers"] == [1]
    pause = json.loads((tmp_path / "cout.json").read_text())["functions"]
    assert [f["calls"] for f in pause if f["qualname"] == "pause"] == [1]


def test_profile_with_output_takes_functions_only(tmp_path):
    engine()
    for obj in (Shape, vars(Shape)["size"], len):
        with pytest.raises(TypeError):
            pyrometer.profile(output=str(tmp_path / "x.txt"))(obj)


def test_api_under_run_mode_lines(tmp_path):
    """A program that uses pyrometer.lines runs unchanged under --mode lines:
    its block hands its functions to the CLI's timer, which reports them."""
    engine()
    src = textwrap.dedent(
        """\
        import pyrometer

        def f(n):
            return n * 2

        with pyrometer.lines(f) as p:
            print(f(21))
        """
    )
    (tmp_path / "api.py").write_text(src)
    r = pyro("run", "--mode", "lines", "-o", "out.json", "api.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "42\n"
    funcs = {f["qualname"]: f for f in json.loads((tmp_path / "out.json").read_text())["functions"]}
    assert funcs["f"]["calls"] == 1
