"""Line view target: busy() spends nearly all its time on one line; nap()
alternates a sleep (wall time, no CPU) with a spin (CPU). Both are bounded by
the thread's own CPU time or by sleeps, never by the wall clock, so the shares
hold on a busy machine."""

import sys
import time


def spin(cpu_seconds):
    start = time.thread_time()
    while time.thread_time() - start < cpu_seconds:
        pass


def busy(cpu_seconds):
    start = time.thread_time()
    total = 0
    while time.thread_time() - start < cpu_seconds:
        for i in range(20000):
            total += (i * i) % 7 + (i * 3) % 5 + (i << 2) % 11 + (i ^ 5) % 13  # HOT
    return total


def nap(rounds):
    for _ in range(rounds):
        time.sleep(0.03)  # SLEEP
        spin(0.02)  # SPIN


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    busy(0.4 * scale)
    nap(int(10 * scale))
