"""Ground truth for threaded programs on Python <= 3.11, where cProfile only
sees the thread that enabled it: one cProfile.Profile per thread, merged.

usage: python _cprofile_threads.py OUT.prof TARGET.py [args]
"""
import cProfile
import pstats
import sys
import threading

out, target = sys.argv[1], sys.argv[2]
profiles = []
_run = threading.Thread.run


def run(self):
    p = cProfile.Profile()
    profiles.append(p)
    p.enable()
    try:
        _run(self)
    finally:
        p.disable()


threading.Thread.run = run
sys.argv = [target] + sys.argv[3:]
with open(target, "rb") as f:
    code = compile(f.read(), target, "exec")
main = cProfile.Profile()
main.enable()
exec(code, {"__name__": "__main__", "__file__": target})
main.disable()
stats = pstats.Stats(main)
for p in profiles:
    stats.add(p)
stats.dump_stats(out)
