"""Julia set, pure Python (the classic profiling exercise), its hot function decorated with
kernprof's bare @profile: the line-timing workload of bench/lines_overhead.py.

    python lines_julia.py [WIDTH]    (plain: @profile is then a no-op defined here)

Prints one line `LINES_BENCH {"time": s, "check": n}`: the time of calc_pure_python alone and
sum(output) (33219980 at width 1000)."""
import json
import sys
import time

try:
    profile  # noqa: B018 (kernprof -l and pyrometer run --mode lines put it in builtins)
except NameError:
    def profile(func):
        return func

x1, x2, y1, y2 = -1.8, 1.8, -1.8, 1.8
c_real, c_imag = -0.62772, -.42193


@profile
def calculate_z_serial_purepython(maxiter, zs, cs):
    output = [0] * len(zs)
    for i in range(len(zs)):
        n = 0
        z = zs[i]
        c = cs[i]
        while abs(z) < 2 and n < maxiter:
            z = z * z + c
            n += 1
        output[i] = n
    return output


def calc_pure_python(desired_width, max_iterations):
    x_step = (x2 - x1) / desired_width
    y_step = (y1 - y2) / desired_width
    x, y = [], []
    ycoord = y2
    while ycoord > y1:
        y.append(ycoord)
        ycoord += y_step
    xcoord = x1
    while xcoord < x2:
        x.append(xcoord)
        xcoord += x_step
    zs, cs = [], []
    for ycoord in y:
        for xcoord in x:
            zs.append(complex(xcoord, ycoord))
            cs.append(complex(c_real, c_imag))
    output = calculate_z_serial_purepython(max_iterations, zs, cs)
    return output


if __name__ == "__main__":
    w = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    t0 = time.perf_counter()
    out = calc_pure_python(desired_width=w, max_iterations=300)
    elapsed = time.perf_counter() - t0
    if w == 1000:
        assert sum(out) == 33219980, sum(out)
    print("LINES_BENCH " + json.dumps({"time": elapsed, "check": sum(out)}))
