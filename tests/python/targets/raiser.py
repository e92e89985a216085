"""A call that raises, caught by its caller, which then keeps the exception
(and with its traceback the raiser's ended frame, still naming the caller)
while it works on: for attach, forever."""


def boom():
    raise ValueError("x")


def work(n):
    s = 0
    for i in range(n):
        s += i
    return s


def caller():
    try:
        boom()  # BOOM_CALL
    except ValueError as e:
        kept = e
        work(40)
    return kept


def main():
    print("ready", flush=True)
    while True:
        caller()


main()
