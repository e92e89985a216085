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
    t0 = time.perf_counter()
    sleeper(float(sys.argv[1]))
    burner(float(sys.argv[2]))
    blocker(float(sys.argv[3]))
    print(json.dumps({"wall": time.perf_counter() - t0}))


main()
