"""Park threads at known places, print their stacks as Python sees them,
then wait to be read from outside. Runs on any CPython 3.9+."""
import json
import sys
import threading
import time

ready = threading.Event()
release = threading.Event()


def waiting_leaf(ev):
    ev.wait()


def waiting_middle(ev):
    waiting_leaf(ev)


class Worker:
    def sleeper(self):
        time.sleep(120)


def gen_parked():
    yield time.sleep(120)


def in_generator():
    for _ in gen_parked():
        pass


class Parker(threading.Thread):
    """A Thread subclass; its name is set after construction."""

    def run(self):
        waiting_leaf(release)


def stacks():
    """Every other thread's stack, innermost first."""
    me = threading.get_ident()
    out = {}
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        stack = []
        while frame is not None:
            stack.append([frame.f_code.co_name, frame.f_lineno])
            frame = frame.f_back
        out[str(ident)] = stack
    return out


def parked(stack):
    """Whether a thread has reached its place (a busy machine may take a
    while to run it there): blocked in Condition.wait under Event.wait in
    waiting_leaf, in time.sleep (its frame: the caller's), or the module's
    last line."""
    names = [name for name, _line in stack]
    return (
        names[:3] == ["wait", "wait", "waiting_leaf"]
        or names[0] in ("sleeper", "gen_parked")
        or (names == ["<module>"] and stack[0][1] == LAST_LINE)
    )


def snapshot():
    """Ground truth: every other thread's stack, once all are parked."""
    time.sleep(0.5)
    out = stacks()
    while len(out) < 6 or not all(map(parked, out.values())):
        time.sleep(0.1)
        out = stacks()
    names = {str(t.ident): t.name for t in threading.enumerate()}
    print(json.dumps({"stacks": out, "names": names}), flush=True)


threading.Thread(target=waiting_middle, args=(release,), name="waiter", daemon=True).start()
threading.Thread(target=Worker().sleeper, name="sleeper", daemon=True).start()
threading.Thread(target=in_generator, name="generator", daemon=True).start()
plain = Parker(daemon=True)
plain.name = "pärker-ünïcode"  # not ASCII; 3.11+ keep it without an instance dict
plain.start()
made = Parker(name="dict-made", daemon=True)
made.__dict__  # asking for the dict makes one (3.11+): the other layout
made.start()
LAST_LINE = sys._getframe().f_lineno + 2
threading.Thread(target=snapshot, name="snapshot").start()
time.sleep(120)
