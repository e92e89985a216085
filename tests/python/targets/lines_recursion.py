"""Recursion: fib (a function that calls itself twice per call), mutual recursion (is_even /
is_odd), an exception unwinding a recursion (dive) and a recursive generator (walk); see
lines_loops.py for why every line's count is fixed. Run with an argument N it prints fib(N) and
the process's CPU time and the fib call's own wall time as JSON on the last line:
test_lines_exact.py checks that the profile's time for fib is not counted twice (recursion)."""

import json
import sys
import time


@profile  # noqa: F821
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@profile  # noqa: F821
def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


@profile  # noqa: F821
def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


@profile  # noqa: F821
def dive(n):
    if n == 0:
        raise ValueError("bottom")
    try:
        return dive(n - 1)
    finally:
        n += 0


@profile  # noqa: F821
def walk(depth):
    yield depth
    if depth:
        yield from walk(depth - 1)
        yield from walk(depth - 1)


def main():
    try:
        dive(6)
    except ValueError:
        pass
    print(sum(walk(4)))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    t0 = time.perf_counter()
    value = fib(n)
    elapsed = time.perf_counter() - t0
    print(value, is_even(30), is_odd(7), is_even(11))
    print(json.dumps({"fib_wall_s": elapsed, "cpu_s": time.process_time()}))


if __name__ == "__main__":
    main()
