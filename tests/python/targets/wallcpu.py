"""Main thread: burn CPU 1 s, sleep 1 s, block on a socket 1 s; a second
thread named "cruncher" burns CPU meanwhile."""
import socket
import threading
import time


def spin_until(deadline):
    x = 0
    while time.perf_counter() < deadline:
        for i in range(200):
            x += i * i
    return x


def burn():
    spin_until(time.perf_counter() + 1.0)


def nap():
    time.sleep(1.0)


def wait_socket():
    a, b = socket.socketpair()
    a.settimeout(1.0)
    try:
        a.recv(1)
    except socket.timeout:
        pass
    a.close()
    b.close()


def crunch():
    spin_until(time.perf_counter() + 2.5)


t = threading.Thread(target=crunch, name="cruncher")
t.start()
burn()
nap()
wait_socket()
t.join()
