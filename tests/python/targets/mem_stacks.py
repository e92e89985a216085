"""Many distinct stacks: 3000 functions made with exec, each allocating 100
bytes that are kept; prints one line."""


def make(i):
    ns = {}
    exec(f"def f{i}():\n    return bytearray(100)\n", ns)
    return ns[f"f{i}"]()


keep = [make(i) for i in range(3000)]
print("mem_stacks ran", len(keep))
