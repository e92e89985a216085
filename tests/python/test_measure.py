"""@pyrometer.measure: what a call costs (wall, CPU of the calling thread, memory,
counters), for sync and async functions and ``with`` blocks, printed, logged or
summed up at exit (docs/measure.md). Busy-machine safe: CPU is judged by the
thread's own CPU clock, and sleeps only ever run long."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
import textwrap
import time
from collections.abc import AsyncGenerator, Generator, Iterator

import pytest
from conftest import run

import pyrometer
from pyrometer import _core


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PYROMETER_MEASURE", raising=False)
    pyrometer.measure_reset()
    yield
    pyrometer.measure_reset()  # nothing left for the summary at pytest's exit


def burn(n: int = 300_000) -> int:
    return sum(i * i for i in range(n))


def test_sync_cpu_is_the_calling_threads_own() -> None:
    inner: list[float] = []

    @pyrometer.measure(calls=False)
    def work() -> int:
        t0 = time.thread_time()
        r = burn()
        inner.append(time.thread_time() - t0)
        return r

    outer0 = time.thread_time()
    assert work() == burn()
    outer = time.thread_time() - outer0
    row = pyrometer.measure_results()[work.__qualname__]
    assert row["calls"] == 1 and row["failed"] == 0
    cpu = row["cpu"]["mean"]
    # the same clock read around the call (outer) and inside it (inner)
    assert inner[0] <= cpu <= outer
    assert row["wall"]["mean"] >= cpu * 0.5  # a thread's CPU time never much exceeds its wall time
    assert work.__name__ == "work" and work.__wrapped__  # functools.wraps


def test_exception_propagates_and_the_call_is_measured() -> None:
    err = KeyError("x")

    @pyrometer.measure("failing", calls=False)
    def fail() -> None:
        burn(1000)
        raise err

    with pytest.raises(KeyError) as info:
        fail()
    assert info.value is err
    row = pyrometer.measure_results()["failing"]
    assert row["calls"] == 1 and row["failed"] == 1
    assert row["wall"]["n"] == 1
    assert "failing: 1 call, 1 raised" in pyrometer.measure_summary()


def test_async_measures_the_whole_run_and_only_its_own_steps() -> None:
    own: list[float] = []
    other: list[float] = []

    @pyrometer.measure("coro", calls=False)
    async def coro() -> str:
        await asyncio.sleep(0.05)  # the first step ends here
        t0 = time.thread_time()
        burn()  # after the await: missed by a measure of the first step only
        own.append(time.thread_time() - t0)
        return "done"

    async def hog() -> None:
        await asyncio.sleep(0)  # let coro start and wait
        t0 = time.thread_time()
        burn(3_000_000)  # runs while coro waits: not coro's CPU
        other.append(time.thread_time() - t0)

    async def main() -> str:
        result, _ = await asyncio.gather(coro(), hog())
        return result

    assert asyncio.run(main()) == "done"
    assert inspect.iscoroutinefunction(coro)
    row = pyrometer.measure_results()["coro"]
    assert row["calls"] == 1
    assert row["wall"]["mean"] >= 0.05  # through the sleep to the end
    cpu = row["cpu"]["mean"]
    assert cpu >= own[0]  # the step after the await is in
    assert cpu < other[0]  # the other task's CPU while it waited is not


def test_async_exception_and_cancellation_propagate() -> None:
    @pyrometer.measure("acoro", calls=False)
    async def acoro(fail: bool) -> int:
        await asyncio.sleep(0)
        if fail:
            raise ValueError("bad")
        return 1

    assert asyncio.run(acoro(False)) == 1
    with pytest.raises(ValueError, match="bad"):
        asyncio.run(acoro(True))

    @pyrometer.measure("forever", calls=False)
    async def forever() -> None:
        await asyncio.sleep(3600)

    async def cancel() -> None:
        task = asyncio.ensure_future(forever())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel())
    rows = pyrometer.measure_results()
    assert rows["acoro"]["calls"] == 2 and rows["acoro"]["failed"] == 1
    assert rows["forever"]["calls"] == 1 and rows["forever"]["failed"] == 1


def test_context_manager_figures() -> None:
    with pyrometer.measure("block", calls=False) as m:
        buf = bytearray(32 << 20)  # zeroed: touched, resident
    assert m.wall is not None and m.cpu is not None
    assert m.cpu >= 0 and m.wall > 0
    assert m.heap is None  # no memory tracker ran
    assert m.rss is not None and m.rss > 16 << 20
    assert not m.failed
    if "page-faults" in m.counters:
        assert m.counters["page-faults"] > 1000  # a 4 KiB page each, or huge pages
    del buf
    with pytest.raises(RuntimeError), pyrometer.measure("raises", calls=False) as m2:
        raise RuntimeError
    assert m2.failed
    assert pyrometer.measure_results()["raises"]["failed"] == 1


def test_heap_while_a_memory_tracker_runs() -> None:
    # in a child: a free-threaded Python tracks memory only with the GIL on (-X gil=1)
    prog = textwrap.dedent(
        """
        import pyrometer
        with pyrometer.memory(), pyrometer.measure("heap", calls=False) as m:
            kept = [bytes(1000) for _ in range(10_000)]  # ~10 MB live at the end
        with pyrometer.measure("untracked", calls=False) as u:
            pass
        print(m.heap, u.heap)
        print(pyrometer.measure_summary())
        pyrometer.measure_reset()
        """
    )
    gil = [] if getattr(sys, "_is_gil_enabled", lambda: True)() else ["-X", "gil=1"]
    p = run([sys.executable, *gil, "-c", prog])
    assert p.returncode == 0, p.stderr
    first, rest = p.stdout.split("\n", 1)
    heap, untracked = first.split()
    assert int(heap) > 5_000_000 and untracked == "None"
    assert "heap change" in rest


def test_counters_option() -> None:
    with pyrometer.measure("none", calls=False, counters=()) as m:
        burn(1000)
    assert m.counters == {}
    with pytest.raises(ValueError, match=r"unknown event 'nope'.*page-faults"):
        pyrometer.measure(counters=["nope"])
    with pyrometer.measure("pf", calls=False, counters=["page-faults"]) as m:
        burn(1000)
    assert set(m.counters) <= {"page-faults"}


def test_generator_measured_over_its_whole_iteration() -> None:
    own: list[float] = []

    @pyrometer.measure("gen", calls=False)
    def gen(n: int) -> Generator[int, int | None, str]:
        got = yield 0
        t0 = time.thread_time()
        burn()  # between the first and the second item
        own.append(time.thread_time() - t0)
        for i in range(1, n):
            got = yield i if got is None else got
        return "end"

    assert inspect.isgeneratorfunction(gen)
    g = gen(2)
    assert pyrometer.measure_results() == {}  # nothing runs before the first next()
    assert next(g) == 0
    consumer0 = time.thread_time()
    burn(3_000_000)  # the consumer's CPU between steps: not the generator's
    consumer = time.thread_time() - consumer0
    assert g.send(41) == 41  # send() reaches the generator
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "end"
    row = pyrometer.measure_results()["gen"]
    assert row["calls"] == 1 and row["failed"] == 0
    assert own[0] <= row["cpu"]["mean"] < consumer

    # closed early (a loop that breaks): measured, not a failure; throw() reaches it
    for _ in gen(10):
        break
    import gc

    gc.collect()
    g = gen(10)
    next(g)
    with pytest.raises(KeyError):
        g.throw(KeyError("k"))
    row = pyrometer.measure_results()["gen"]
    assert row["calls"] == 3 and row["failed"] == 1


def test_async_generator_functions_are_refused() -> None:
    async def agen() -> AsyncGenerator[int, None]:
        yield 1

    with pytest.raises(TypeError, match="async generator"):
        pyrometer.measure(agen)


def test_each_call_printed_or_logged(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    @pyrometer.measure(summary=False)
    def printed() -> None:
        pass

    printed()
    err = capsys.readouterr().err
    assert err.startswith("[measure] ") and "printed: wall " in err and "  cpu " in err
    assert "printed" not in pyrometer.measure_results()

    @pyrometer.measure("logged", log="measure.test", summary=False)
    def logged() -> None:
        pass

    with caplog.at_level(logging.INFO, logger="measure.test"):
        logged()
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["logged"]
    assert capsys.readouterr().err == ""


def test_disabled_returns_the_function_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYROMETER_MEASURE", "0")

    def f() -> int:
        return 1

    async def g() -> int:
        return 2

    assert pyrometer.measure(f) is f
    assert pyrometer.measure(g) is g
    assert pyrometer.measure("named")(f) is f
    with pyrometer.measure("off") as m:
        f()
    assert m.wall is None and pyrometer.measure_results() == {}


def test_summary_at_exit_in_a_child(tmp_path: object) -> None:
    prog = textwrap.dedent(
        """
        import asyncio, pyrometer

        @pyrometer.measure(calls=False)
        def f(n):
            return sum(range(n))

        @pyrometer.measure
        async def g():
            await asyncio.sleep(0)

        for n in (10, 1000, 100000):
            f(n)
        asyncio.run(g())
        print("out")
        """
    )
    p = run([sys.executable, "-c", prog])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "out\n"  # the program's own output is untouched
    err = p.stderr
    assert "[measure] g: wall " in err and "[measure] f:" not in err
    table = err[err.index("pyrometer.measure summary (2 names)") :]
    assert "f: 3 calls\n" in table and "g: 1 call\n" in table
    for label in ("wall", "cpu", "rss change"):
        assert f"  {label}" in table


def test_disabled_in_a_child_costs_nothing() -> None:
    prog = "import pyrometer\ndef f(): pass\nassert pyrometer.measure(f) is f\nf()\n"
    p = run([sys.executable, "-c", prog], env={"PYROMETER_MEASURE": "0"})
    assert p.returncode == 0 and p.stderr == ""


def test_threads_are_measured_on_their_own_clock() -> None:
    import threading

    inner: dict[str, float] = {}

    @pyrometer.measure("threaded", calls=False)
    def work(key: str) -> None:
        t0 = time.thread_time()
        burn(200_000)
        inner[key] = time.thread_time() - t0

    threads = [threading.Thread(target=work, args=(str(i),)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    row = pyrometer.measure_results()["threaded"]
    assert row["calls"] == 3
    assert row["cpu"]["min"] >= min(inner.values())
    # each call's CPU is its own thread's: never the three together
    assert row["cpu"]["max"] < sum(inner.values())


def test_span_misuse_is_an_error() -> None:
    s = _core.Span()
    with pytest.raises(RuntimeError):
        s.stop()
    with pytest.raises(RuntimeError):
        s.line("x")
    s.start()
    with pytest.raises(RuntimeError):
        s.start()
    s.stop()
    with pytest.raises(TypeError):
        _core.MeasureTable().add("x", object())  # type: ignore[arg-type]


def test_one_measure_object_nests_and_serves_threads() -> None:
    import threading

    m = pyrometer.measure("shared", calls=False)
    with m:
        with m:
            burn(1000)
        inner_wall = m.wall
    assert inner_wall is not None and m.wall is not None and m.wall >= inner_wall

    def worker() -> None:
        for _ in range(20):
            with m:
                burn(1000)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    row = pyrometer.measure_results()["shared"]
    assert row["calls"] == 2 + 4 * 20 and row["failed"] == 0


def test_counters_after_fork_are_the_childs_own() -> None:
    # the parent's thread opened its counters first; a forked child must count its own
    prog = textwrap.dedent(
        """
        import os, pyrometer
        with pyrometer.measure("parent", calls=False, summary=False, counters=["page-faults"]) as m:
            pass
        if "page-faults" not in m.counters:
            print("none")
            raise SystemExit(0)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            with pyrometer.measure("child", calls=False, summary=False, counters=["page-faults"]) as c:
                b = bytearray(64 << 20)
            os.write(w, str(c.counters.get("page-faults", -1)).encode())
            os._exit(0)
        os.close(w)
        os.waitpid(pid, 0)
        print(os.read(r, 100).decode())
        """
    )
    p = run([sys.executable, "-W", "ignore", "-c", prog])
    assert p.returncode == 0, p.stderr
    out = p.stdout.strip()
    if out == "none":
        pytest.skip("this machine counts no page-faults event")
    # 64 MiB of fresh pages: thousands of faults (fewer with huge pages, never ~0)
    assert int(out) > 20, out
