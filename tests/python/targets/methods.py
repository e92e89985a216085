"""Methods, classmethods, properties, builtin methods called many ways."""


class Vec:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __add__(self, o):
        return Vec(self.x + o.x, self.y + o.y)

    @property
    def norm2(self):
        return self.x * self.x + self.y * self.y

    @classmethod
    def zero(cls):
        return cls(0, 0)

    @staticmethod
    def unit():
        return Vec(1, 0)


class Box:
    def __init__(self, v):
        self.v = v

    @property
    def p(self):
        return self.v

    def __getitem__(self, i):
        return i


class Dyn:
    def __getattribute__(self, name):
        return 1


class Lazy:
    def __getattr__(self, name):
        return 2


def gen(n):
    for i in range(n):
        yield i


async def co():
    return 1


async def outer():
    s = 0
    for _ in range(30):
        s += await co()
    return s


def specialized():
    """Calls that specializing interpreters make without a CALL instruction."""
    t = 0
    for i in range(60):
        b = Box(i)
        t += b.p + b[i] + Dyn().x + Lazy().y
        for x in gen(3):
            t += x
    c = outer()
    try:
        c.send(None)
    except StopIteration as e:
        t += e.value
    return t


def main():
    v = Vec.zero()
    for i in range(50):
        v = v + Vec.unit()
    items = []
    for i in range(30):
        items.append(i)
        list.append(items, -i)
    d = {}
    for i in range(20):
        d.get(i)
        d.setdefault(i, []).append(i)
    s = "-".join(str(i) for i in range(10))
    print(v.norm2, len(items), len(d), s.upper().split("-")[:2], max(items), min(3, 4), specialized())


main()
