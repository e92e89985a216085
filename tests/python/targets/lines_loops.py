"""Loops, comprehensions, multi-line statements, `with` and lambdas, every function under
`@profile` (kernprof style: `profile` comes from builtins, put there by `kernprof -l` or by
`pyrometer run --mode lines`). Deterministic: the same lines run the same number of times on
every run, so two line profilers must count the same hits."""

import contextlib


@profile  # noqa: F821
def loops(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        if i == n - 2:
            break
        total += i
    else:
        total = -1  # never: the loop breaks
    for j in range(3):
        total += j
    else:  # noqa: PLW0120 (the else of a loop without break: its line still runs once)
        total += 100
    k = 0
    while k < n:
        k += 2
        if k > 1000:
            break
    else:
        total += k
    while True:
        k -= 1
        if k < 5:
            break
    for i in range(50): total += i  # noqa: E701 (a loop on one line)
    return total


@profile  # noqa: F821
def comprehensions(n):
    squares = [i * i for i in range(n)]
    evens = {i for i in range(n) if i % 2 == 0}
    table = {
        i: [
            j
            for j in range(i)
            if j % 2
        ]
        for i in range(5)
    }
    total = sum(x for x in squares if x % 3)
    gen = (
        y + 1
        for y in evens
    )
    nested = [[a * b for b in range(3)] for a in range(4)]
    return total + sum(gen) + len(table) + len(nested)


@profile  # noqa: F821
def multiline(a, b):
    value = max(
        a,
        b,
        3,
    )
    settings = {
        "a": a,
        "b": b,
        "sum": a
        + b,
    }
    if (
        (a > 0
         and b > 0)
        or a == b
    ):
        value += 1
    if a < b < 100 and not (a == 7 or b == 7):
        value += 2
    word = "yes" if value > 3 else "no"
    return value, len(settings), word


@contextlib.contextmanager
def managed(log):
    log.append("enter")
    try:
        yield len(log)
    finally:
        log.append("exit")


@profile  # noqa: F821
def with_blocks(n):
    log = []
    with managed(log) as first:
        total = first
    for i in range(n):
        with managed(log):
            total += i
    try:
        with managed(log):
            raise ValueError("inside with")
    except ValueError:
        total += 1
    with open(__file__) as f, managed(log):
        total += len(f.readline())
    return total, len(log)


@profile  # noqa: F821
def lambdas(items):
    key = lambda x: -x  # noqa: E731
    double = lambda x: 2 * x  # noqa: E731
    ordered = sorted(items, key=key)
    mapped = list(map(double, ordered))
    picked = list(filter(lambda x: x % 4 == 0, mapped))
    return sum(picked) + (lambda: 1)()


square = profile(lambda x: x * x)  # noqa: F821 (a profiled lambda)


def main():
    results = []
    for n in (10, 25):
        results.append(loops(n))
        results.append(comprehensions(n))
        results.append(with_blocks(n // 5))
    results.append(multiline(1, 2))
    results.append(multiline(7, 7))
    results.append(multiline(-1, 5))
    results.append(lambdas(list(range(12))))
    results.append([square(i) for i in range(7)])
    print(results)


if __name__ == "__main__":
    main()
