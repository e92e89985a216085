"""Generators, generator pipelines, yield from, send/throw/close, and coroutines."""
import asyncio


def numbers(n):
    for i in range(n):
        yield i


def squares(xs):
    for x in xs:
        yield x * x


def evens(xs):
    yield from (x for x in xs if x % 2 == 0)


def accumulator():
    total = 0
    while True:
        try:
            v = yield total
        except ValueError:
            total = 0
            continue
        total += v


def use_accumulator():
    acc = accumulator()
    next(acc)
    for i in range(10):
        acc.send(i)
    acc.throw(ValueError)
    acc.send(5)
    acc.close()


async def leaf(x):
    return x + 1


async def middle(n):
    s = 0
    for i in range(n):
        s += await leaf(i)
    return s


async def top():
    a = await middle(5)
    b = await asyncio.gather(middle(3), middle(4))
    return a + sum(b)


def main():
    print(sum(evens(squares(numbers(200)))))
    print(list(map(len, ["ab", "c"])), sorted([3, 1, 2], key=lambda v: -v))
    use_accumulator()
    print(asyncio.run(top()))
    c = middle(2)
    try:
        c.send(None)
    except StopIteration as e:
        print(e.value)


main()
