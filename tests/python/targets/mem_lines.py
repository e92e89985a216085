"""The memory mode per-line table's target: work() (marked with the @profile
that `run --mode memory` puts in builtins, as memory_profiler's users write
it) keeps 8 MiB on its own line and calls helper() for 16 MiB it frees;
by_flag() (chosen with --function) keeps 4 MiB; rec() recurses 5 calls
deep on one line and keeps 1 MiB at the bottom; never() is marked and
never called."""


def helper(n):
    return bytearray(n)  # HELPER


@profile  # noqa: F821 (builtins, from pyrometer)
def work():
    keep = bytearray(8 << 20)  # KEEP
    tmp = helper(16 << 20)  # CALL
    del tmp
    return keep


def by_flag():
    return bytearray(4 << 20)  # FLAG


def rec(k):
    if k:
        return rec(k - 1)  # RECURSE
    return bytearray(1 << 20)  # BOTTOM


@profile  # noqa: F821
def never():
    return 1


kept = [work(), by_flag(), rec(5)]
print("mem_lines ran")
