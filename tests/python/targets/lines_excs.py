"""try/except/finally: exceptions raised and caught in the same function, re-raised, raised by
a callee, and one leaving the profiled function (caught by its unprofiled caller); a `finally`
that runs on return, on an exception and on break (see lines_loops.py for why every line's
count is fixed)."""


def helper(x):
    if x < 0:
        raise ValueError(x)
    return x


@profile  # noqa: F821
def catches(n):
    total = 0
    for i in range(-2, n):
        try:
            total += helper(i)
        except ValueError:
            total -= 1
        else:
            total += 1
        finally:
            total *= 1
    try:
        raise KeyError("k")
    except (TypeError, KeyError) as e:
        total += len(e.args)
    return total


@profile  # noqa: F821
def reraises(x):
    try:
        try:
            helper(x)
        except ValueError:
            x += 1
            raise
        finally:
            x += 10
    except ValueError as e:
        raise RuntimeError("wrapped") from e
    return x


@profile  # noqa: F821
def leaves(x):
    y = x + 1
    if y > 0:
        raise LookupError(y)
    return y


@profile  # noqa: F821
def finally_paths(n):
    out = []
    for i in range(n):
        try:
            if i == 3:
                break
            if i % 2:
                continue
            out.append(i)
        finally:
            out.append(-i)
    try:
        return len(out)
    finally:
        out.clear()


@profile  # noqa: F821
def calls_leaver(n):
    caught = 0
    for i in range(n):
        try:
            leaves(i - 1)
        except LookupError:
            caught += 1
    return caught


@profile  # noqa: F821
def comprehension_raises(n):
    try:
        values = [
            10 // (i - 2)
            for i in range(n)
        ]
    except ZeroDivisionError:
        values = []
    return len(values)


def main():
    results = [catches(3), catches(5), finally_paths(6), calls_leaver(4), comprehension_raises(5)]
    for x in (5, -3):
        try:
            results.append(reraises(x))
        except RuntimeError as e:
            results.append(str(e))
    for x in (-5, 2):
        try:
            results.append(leaves(x))
        except LookupError as e:
            results.append(repr(e))
    print(results)


if __name__ == "__main__":
    main()
