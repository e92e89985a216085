"""Main thread: burn 1 s of CPU, sleep 1 s, block on a socket 1 s; a second
thread named "cruncher" burns 1 s of CPU meanwhile. The burning is counted in
CPU time the thread really got (on a busy machine that takes longer than
1 s of wall time). Prints, as JSON, each part's wall and CPU time as the
program measured them itself."""
import json
import socket
import threading
import time

own = {}


def spin_cpu(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        for i in range(200):
            x += i * i
    return x


def burn():
    spin_cpu(1.0)


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
    spin_cpu(1.0)


def measured(part):
    wall, cpu = time.perf_counter(), time.thread_time()
    part()
    own[part.__name__] = {"wall": time.perf_counter() - wall, "cpu": time.thread_time() - cpu}


t = threading.Thread(target=measured, args=(crunch,), name="cruncher")
t.start()
measured(burn)
measured(nap)
measured(wait_socket)
t.join()
print(json.dumps(own))
