"""Text processing: tokenize, count and format (dicts, strings, small calls)."""
import sys
from collections import Counter

WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
         "sigma tau upsilon phi chi psi omega").split()


def make_text(n):
    return " ".join(WORDS[(i * 7 + i // 3) % len(WORDS)] + ("," if i % 11 == 0 else "")
                    for i in range(n))


def normalize(token):
    return token.strip(",.").lower()


def count(text):
    c = Counter()
    for line in text.split(","):
        for tok in line.split():
            c[normalize(tok)] += 1
    return c


def report(c):
    return "\n".join(f"{w:>10} {n:6d}" for w, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    text = make_text(40000)
    out = ""
    for _ in range(rounds):
        out = report(count(text))
    print(len(out))
