"""Several threads doing deterministic work, plus the main thread."""
import threading


def work_item(i):
    return sum(j * j for j in range(i))


def worker(n):
    total = 0
    for i in range(n):
        total += work_item(i % 50)
    return total


def helper_fib(n):
    return n if n < 2 else helper_fib(n - 1) + helper_fib(n - 2)


def main():
    threads = [threading.Thread(target=worker, args=(300 + 10 * k,), name=f"worker-{k}") for k in range(3)]
    for t in threads:
        t.start()
    helper_fib(14)
    for t in threads:
        t.join()
    print("done")


main()
