"""Leave in the way named by argv[1]; used to check exit statuses."""
import os
import signal
import sys
import time


def inner(how):
    if how == "exit3":
        sys.exit(3)
    if how == "exitmsg":
        sys.exit("fatal: giving up")
    if how == "raise":
        raise ValueError("boom")
    if how == "os_exit":
        sys.stdout.flush()
        os._exit(5)
    if how in ("wait_int", "wait_term"):
        print("ready", flush=True)
        deadline = time.monotonic() + 120  # ended by the test's signal; the bound only guards a lost one
        while time.monotonic() < deadline:
            sum(range(1000))
        return 0
    if how == "fork":
        pid = os.fork()
        if pid == 0:
            sum(range(100))
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
    return 0


def outer(how):
    return inner(how)


if __name__ == "__main__":
    print("child status", outer(sys.argv[1]))
