"""A small memory-mode target: keeps 8 MiB from keep(), allocates and frees
4 MiB in churn(); prints a line and exits with argv[1] (default 0)."""

import sys

kept = []


def keep():
    kept.append(bytearray(8 * 1024 * 1024))  # KEEP


def churn():
    temp = bytearray(4 * 1024 * 1024)  # TEMP
    del temp


keep()
churn()
print("mem_small ran")
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
