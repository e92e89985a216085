"""Decorators (the profiled function also decorated by another decorator, outside `@profile`),
methods, classmethods, staticmethods, properties, nested functions and closures (see
lines_loops.py for why every line's count is fixed)."""

import functools


def logged(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return func(*args, **kwargs)

    wrapper.calls = 0
    return wrapper


def cached(func):
    memo = {}

    @functools.wraps(func)
    def wrapper(n):
        if n not in memo:
            memo[n] = func(n)
        return memo[n]

    return wrapper


@logged
@profile  # noqa: F821
def scaled(values, factor=2):
    out = []
    for v in values:
        out.append(v * factor)
    return out


@cached
@profile  # noqa: F821
def slow_square(n):
    result = 0
    for _ in range(n):
        result += n
    return result


class Shape:
    scale = 3

    def __init__(self, w, h):
        self.w = w
        self.h = h

    @profile  # noqa: F821
    def area(self):
        a = self.w * self.h
        return a * self.scale

    @classmethod
    @profile  # noqa: F821
    def unit(cls):
        shape = cls(1, 1)
        return shape

    @staticmethod
    @profile  # noqa: F821
    def describe(n):
        words = []
        for i in range(n):
            words.append(str(i))
        return " ".join(words)

    @property
    @profile  # noqa: F821
    def perimeter(self):
        p = 2 * (self.w + self.h)
        return p


@profile  # noqa: F821
def outer(n):
    base = n * 10

    @profile  # noqa: F821
    def inner(k):
        total = base
        for i in range(k):
            total += i
        return total

    values = [inner(i) for i in range(n)]
    return sum(values)


@profile  # noqa: F821
def uses_methods(n):
    shapes = [Shape(i, i + 1) for i in range(n)]
    total = 0
    for s in shapes:
        total += s.area()
        total += s.perimeter
    unit = Shape.unit()
    total += unit.area()
    return total, Shape.describe(n)


def main():
    print(scaled([1, 2, 3]), scaled([4], factor=5), scaled.calls)
    print(slow_square(5), slow_square(5), slow_square(7))
    print(outer(3), outer(4))
    print(uses_methods(4))


if __name__ == "__main__":
    main()
