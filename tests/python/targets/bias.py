"""Two loops doing the same arithmetic, one through a helper call per
iteration, one inline; each timed with perf_counter. argv: the wanted share
of the calling loop (0-1) and the total seconds. Prints the true shares."""
import json
import sys
import time


def helper(x):
    return (x * 7 + 3) % 1009


def calling_loop(n):
    acc = 0
    for i in range(n):
        acc += helper(i)
    return acc


def inline_loop(n):
    acc = 0
    for i in range(n):
        acc += (i * 7 + 3) % 1009
    return acc


def per_iteration(fn):
    n = 20000
    t = time.perf_counter()
    fn(n)
    return (time.perf_counter() - t) / n


share, seconds = float(sys.argv[1]), float(sys.argv[2])
a_it, b_it = per_iteration(calling_loop), per_iteration(inline_loop)
na = int(seconds * share / a_it)
nb = int(seconds * (1 - share) / b_it)
t0 = time.perf_counter()
calling_loop(na)
t1 = time.perf_counter()
inline_loop(nb)
t2 = time.perf_counter()
print(json.dumps({"calling_loop": t1 - t0, "inline_loop": t2 - t1}))
