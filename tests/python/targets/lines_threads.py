"""The same profiled function run by 3 threads at once (and once by the main thread); every line's
count, summed over the threads, is fixed (see lines_loops.py)."""

import threading


@profile  # noqa: F821
def work(n, out):
    total = 0
    for i in range(n):
        if i % 7 == 0:
            total += i
        else:
            total -= 1
    out.append(total)
    return total


def main():
    out = []
    barrier = threading.Barrier(3)

    def run(n):
        barrier.wait()
        work(n, out)

    threads = [threading.Thread(target=run, args=(20000 + 1000 * i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    work(100, out)
    print(sorted(out))


if __name__ == "__main__":
    main()
