"""Find duplicate words the slow way, then the fast way.

    pyrometer run --mode trace examples/duplicates.py 3000

The naive version compares every pair (quadratic: list.count inside a loop);
the set-based version is linear. The profile shows where the time goes.
"""
import random
import sys


def make_words(n, seed=7):
    rng = random.Random(seed)
    letters = "abcdefghij"
    return ["".join(rng.choice(letters) for _ in range(3)) for _ in range(n)]


def duplicates_naive(words):
    found = []
    for w in words:
        if words.count(w) > 1 and w not in found:
            found.append(w)
    return found


def duplicates_fast(words):
    seen, found = set(), set()
    for w in words:
        if w in seen:
            found.add(w)
        seen.add(w)
    return found


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    words = make_words(n)
    slow = duplicates_naive(words)
    fast = duplicates_fast(words)
    assert set(slow) == fast
    print(f"{len(fast)} duplicated words among {n}")


if __name__ == "__main__":
    main()
