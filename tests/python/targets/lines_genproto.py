"""The generator protocol beyond next/send: throw() into a suspended generator, the return value
of a generator read by `yield from`, close() running a `finally`. kernprof's `@profile` wraps a
generator function in a generator of its own that forwards only send(): under it throw() raises
at the wrapper's `yield` instead of inside the generator, and `yield from` gets None instead of
the return value, so this program does not run unchanged under kernprof -l (test_lines_exact.py
checks it against the interpreter's own line events only)."""


@profile  # noqa: F821
def countdown(n):
    while n > 0:
        yield n
        n -= 1
    return "done"


@profile  # noqa: F821
def relay(n):
    result = yield from countdown(n)
    if result == "done":
        yield result


@profile  # noqa: F821
def accumulator():
    total = 0
    try:
        while True:
            value = yield total
            total += value
    except KeyError:
        total = -total
        yield total
    finally:
        total = 0


def main():
    print(list(relay(3)))
    acc = accumulator()
    next(acc)
    acc.send(4)
    print(acc.throw(KeyError("x")))
    acc.close()
    acc2 = accumulator()
    next(acc2)
    acc2.close()


if __name__ == "__main__":
    main()
