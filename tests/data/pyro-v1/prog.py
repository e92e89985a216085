"""The program the v1 .pyro fixtures were recorded from (see README.md)."""
import _thread


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def work(k, n):
    return sum(abs(i - k) for i in range(n)) + fib(8)


def worker(done, n):
    work(3, n)
    done.release()


def main(n):
    done = _thread.allocate_lock()
    done.acquire()
    _thread.start_new_thread(worker, (done, n))
    work(5, n)
    done.acquire()


main(300000)
