"""Finalizers that run while a frame is cleared: on return, on an exception
leaving it, at a generator's end, and weakref callbacks. cProfile counts each
as a call from the caller, made after the frame returned."""

import _weakref  # already loaded at start-up: no import machinery runs under either profiler


class Noisy:
    def __del__(self):
        note()


def note():
    pass


def on_return():
    x = Noisy()  # noqa: F841 (released when the frame is cleared)
    return 1


def on_raise():
    x = Noisy()  # noqa: F841
    raise ValueError


def gen():
    x = Noisy()  # noqa: F841
    yield 1
    yield 2


class Target:
    pass


def callback(ref):
    note()


def with_weakref():
    t = Target()
    r = _weakref.ref(t, callback)
    return r


def nested():
    on_return()
    y = Noisy()  # noqa: F841
    return on_return()


def main():
    refs = []
    for _ in range(3):
        on_return()
        try:
            on_raise()
        except ValueError:
            pass
        print(sum(gen()))
        refs.append(with_weakref())
        nested()
    print(len(refs))


main()
