"""Exceptions through frames, builtins that raise, finally blocks, context managers."""


class Boom(Exception):
    pass


def deep(n):
    if n == 0:
        raise Boom("bottom")
    return deep(n - 1)


def catcher():
    caught = 0
    for i in range(20):
        try:
            deep(i % 5)
        except Boom:
            caught += 1
    return caught


def builtin_raises():
    bad = 0
    for s in ["1", "x", "2", "y"]:
        try:
            int(s)
        except ValueError:
            bad += 1
    d = {}
    for k in range(5):
        try:
            d[k]
        except KeyError:
            bad += 1
    return bad


class Managed:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True  # swallow


def with_finally():
    n = 0
    for i in range(6):
        with Managed():
            if i % 2:
                raise Boom(i)
        try:
            n += 1
        finally:
            n += 1
    return n


def main():
    print(catcher(), builtin_raises(), with_finally())
    try:
        deep(3)
    except Boom:
        pass


main()
