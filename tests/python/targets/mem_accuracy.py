"""The accuracy target of memory mode (issue 14): one function keeps a
200 MiB bytearray, another allocates and frees 100 MiB, a third builds a
million small strings that stay live. It writes the true sizes, from
sys.getsizeof, as JSON to argv[1] (the lines are found by their markers).
It imports nothing that is not loaded at start-up already (os, sys), so
that what it keeps live at exit is only what it made on purpose.

PYROMETER_TEST_SCALE (default 1) divides the sizes, for quicker runs."""

import os
import sys

SCALE = int(os.environ.get("PYROMETER_TEST_SCALE", "1"))
KEEP = 200 * 1024 * 1024 // SCALE
TEMP = 100 * 1024 * 1024 // SCALE
N = 1_000_000 // SCALE

kept = None
strings = None


def keep():
    global kept
    kept = bytearray(KEEP)  # KEEP


def churn():
    temp = bytearray(TEMP)  # TEMP
    size = sys.getsizeof(temp)
    del temp
    return size


def make_strings():
    out = [None] * N  # LIST
    for i in range(N):
        out[i] = f"s{i:07d}"  # STRINGS
    return out


keep()
temp_size = churn()
strings = make_strings()
truth = {
    "keep": sys.getsizeof(kept),
    "temp": temp_size,
    "strings": sum(sys.getsizeof(s) for s in strings),
    "list": sys.getsizeof(strings),
}
with open(sys.argv[1], "w") as f:
    f.write("{" + ", ".join(f'"{k}": {v}' for k, v in truth.items()) + "}")
