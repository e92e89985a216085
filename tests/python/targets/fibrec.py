"""Recursion: direct (fib), mutual (is_even/is_odd) and a recursive builtin user."""
import sys

sys.setrecursionlimit(5000)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def flatten(x):
    if isinstance(x, list):
        out = []
        for y in x:
            out.extend(flatten(y))
        return out
    return [x]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    print(fib(n), is_even(301), len(flatten([1, [2, [3, [4, [5]]]], [[6]], 7])))


main()
