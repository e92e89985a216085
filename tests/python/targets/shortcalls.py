"""A loop of calls that return within a microsecond (for attach: forever):
`main` calls `a` and `c`, each calls two one-line functions. Read with
every thread stopped (--blocking), about 45% of the samples are in `main`
itself and 25-35% in the four leaves."""


def b1(x):
    return x + 1


def b2(x):
    return x * 2


def d1(x):
    return x - 1


def d2(x):
    return x // 2


def a(x):
    y = b1(x)
    return b2(y)


def c(x):
    y = d1(x)
    return d2(y)


def main():
    print("ready", flush=True)
    t = i = 0
    while True:
        t += a(i)
        t += c(i)
        i += 1


main()
