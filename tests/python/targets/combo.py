"""A target for `run --memory`: one line that only computes (HOT), one that
keeps 32 MiB (KEEP) and one that allocates and frees 16 MiB (TEMP); prints a
line and exits with argv[1] (default 0)."""

import sys

kept = []


def hot(n):
    s = 0
    for i in range(n):
        s = (s + i * i) % 1000003  # HOT
    return s


def keep():
    kept.append(bytearray(32 * 1024 * 1024))  # KEEP


def churn():
    temp = bytearray(16 * 1024 * 1024)  # TEMP
    del temp


keep()
churn()
hot(1_500_000)
print("combo ran")
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
