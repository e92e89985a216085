"""Generators, `yield from`, generator expressions, send and close: every profiled line runs a
fixed number of times (see lines_loops.py). What line_profiler's generator wrapper cannot run
unchanged (throw(), a generator's return value) is in lines_genproto.py."""


@profile  # noqa: F821
def countdown(n):
    while n > 0:
        yield n
        n -= 1
    return "done"


@profile  # noqa: F821
def chain(*seqs):
    for seq in seqs:
        yield from seq
    yield from countdown(2)


@profile  # noqa: F821
def accumulator():
    total = 0
    try:
        while True:
            value = yield total
            if value is None:
                break
            total += value
    except KeyError:
        total = -total
        yield total
    finally:
        total = 0


@profile  # noqa: F821
def consume(n):
    items = list(countdown(n))
    items += list(chain([1, 2], countdown(3), (i for i in range(2))))
    pairs = sum(
        a * b
        for a, b in zip(items, items[1:])
    )
    acc = accumulator()
    next(acc)
    for v in range(5):
        acc.send(v)
    acc.close()
    thrown = 0
    early = countdown(10)
    first = next(early)
    early.close()
    return items, pairs, thrown, first


def main():
    print(consume(4))
    print(consume(6))


if __name__ == "__main__":
    main()
