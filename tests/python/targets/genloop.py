"""A loop over a generator, forever (for attach): the generator suspends
thousands of times a second, and a suspended generator's frame has no
caller, so a stack read across a yield could end at it."""


def numbers(n):
    for i in range(n):
        yield i * 2


def consume():
    s = 0
    for x in numbers(1000):
        s += x
    return s


def main():
    print("ready", flush=True)
    while True:
        consume()


main()
