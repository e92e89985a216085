"""Sleep, burn CPU and wait on a socket, timing each part itself."""
import json
import socket
import sys
import time


def sleeper(seconds):
    time.sleep(seconds)


def burner(seconds):
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1
    return x


def blocker(seconds):
    a, b = socket.socketpair()
    a.settimeout(seconds)
    try:
        a.recv(1)
    except socket.timeout:
        pass
    a.close()
    b.close()


def main():
    own = {}  # each part's wall time as this program measured it
    t0 = time.perf_counter()
    for part, arg in ((sleeper, sys.argv[1]), (burner, sys.argv[2]), (blocker, sys.argv[3])):
        t = time.perf_counter()
        part(float(arg))
        own[part.__name__] = time.perf_counter() - t
    own["wall"] = time.perf_counter() - t0
    print(json.dumps(own))


main()
