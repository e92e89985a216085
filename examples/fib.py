"""Naive recursive Fibonacci: the classic "too many calls" exercise.

    pyrometer run --mode trace examples/fib.py 25

fib(N) makes fib(N+1)*2-1 calls (fib(30): 1,664,079), all but one recursive.
"""
import sys


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    print(f"fib({n}) = {fib(n)}")


if __name__ == "__main__":
    main()
