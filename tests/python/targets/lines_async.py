"""async/await: coroutines awaited, gathered and run under asyncio.run; an async generator and
`async with`/`async for` (see lines_loops.py for why every line's count is fixed). Sleeps are 0 s:
the event loop's order is then fixed by the order tasks were created in."""

import asyncio


@profile  # noqa: F821
async def leaf(i):
    await asyncio.sleep(0)
    value = i * 2
    await asyncio.sleep(0)
    return value


@profile  # noqa: F821
async def ticker(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


class Resource:
    async def __aenter__(self):
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc):
        await asyncio.sleep(0)
        return False


@profile  # noqa: F821
async def fails():
    await asyncio.sleep(0)
    raise RuntimeError("async failure")


@profile  # noqa: F821
async def gathered(n):
    values = await asyncio.gather(*(leaf(i) for i in range(n)))
    total = sum(values)
    async for t in ticker(3):
        total += t
    async with Resource():
        total += await leaf(10)
    try:
        await fails()
    except RuntimeError:
        total += 1
    results = await asyncio.gather(leaf(1), fails(), return_exceptions=True)
    return total + len(results)


def main():
    print(asyncio.run(gathered(4)))
    print(asyncio.run(gathered(2)))


if __name__ == "__main__":
    main()
