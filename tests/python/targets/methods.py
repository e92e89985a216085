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
    print(v.norm2, len(items), len(d), s.upper().split("-")[:2], max(items), min(3, 4))


main()
