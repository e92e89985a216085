"""The Julia set in pure Python, from "High Performance Python".

    pyrometer run --mode trace examples/julia.py 300

At width 1000 (the book's size), abs() is called 34,219,980 times and the
output sums to 33,219,980; at 300 it runs in about a second unprofiled.
"""
import sys
import time

X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
C_REAL, C_IMAG = -0.62772, -0.42193


def calculate_z_serial_purepython(maxiter, zs, cs):
    """Iterate z = z*z + c for every point until it escapes or maxiter."""
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
    """Build the grid of complex coordinates, then compute the set."""
    x_step = (X2 - X1) / desired_width
    y_step = (Y1 - Y2) / desired_width
    x, y = [], []
    ycoord = Y2
    while ycoord > Y1:
        y.append(ycoord)
        ycoord += y_step
    xcoord = X1
    while xcoord < X2:
        x.append(xcoord)
        xcoord += x_step
    zs, cs = [], []
    for ycoord in y:
        for xcoord in x:
            zs.append(complex(xcoord, ycoord))
            cs.append(complex(C_REAL, C_IMAG))
    start = time.perf_counter()
    output = calculate_z_serial_purepython(max_iterations, zs, cs)
    print(f"calculate_z_serial_purepython took {time.perf_counter() - start:.3f} s")
    return output


if __name__ == "__main__":
    width = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = calc_pure_python(desired_width=width, max_iterations=300)
    if width == 1000:
        assert sum(out) == 33219980, sum(out)
    print("sum", sum(out))
