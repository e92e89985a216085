"""A line that sleeps 0.1 s, run 3 times: its time per hit is at least 0.1 s."""

import time


@profile  # noqa: F821
def naps(n):
    total = 0
    for i in range(n):
        time.sleep(0.1)
        total += i
    return total


if __name__ == "__main__":
    print(naps(3))
