"""Builds and drops many small object graphs: with "cycles", each node points
back at its parent (a reference cycle only the garbage collector frees);
with "broken", the back pointer is cleared before the graph is dropped, so
reference counting frees everything at once. Prints the collections it saw
(gc.get_stats) for comparison."""

import gc
import sys


class Node:
    __slots__ = ("children", "parent", "payload")

    def __init__(self, parent):
        self.parent = parent
        self.children = []
        self.payload = [0] * 8


def build(depth, breadth):
    root = Node(None)
    level = [root]
    for _ in range(depth):
        nxt = []
        for node in level:
            for _ in range(breadth):
                child = Node(node)
                node.children.append(child)
                nxt.append(child)
        level = nxt
    return root


def unlink(node):
    stack = [node]
    while stack:
        n = stack.pop()
        n.parent = None
        stack.extend(n.children)


def main(kind, rounds):
    for _ in range(rounds):
        root = build(4, 4)  # 341 nodes
        if kind == "broken":
            unlink(root)
        del root


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "cycles"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    main(kind, rounds)
    print("collections", sum(s["collections"] for s in gc.get_stats()))
