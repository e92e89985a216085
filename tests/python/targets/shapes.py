"""A program of known shape: every call path and every line that can be on
the stack is listed in ALLOWED (caller -> callee, function -> lines). With
argv[1] = "serve" it loops until killed (for attach); else it runs ~1 s."""
import sys
import time


def leaf(n):
    s = 0
    for i in range(n):
        s += i
    return s


def left(n):
    return leaf(n) + 1


def right(n):
    return leaf(n) + leaf(n // 2)


def driver(rounds):
    for _ in range(rounds):
        left(3000)
        right(3000)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        print("ready", flush=True)
        while True:
            driver(100)
    else:
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            driver(10)
