"""N-body simulation of the outer planets (pyperformance-style float work)."""
import sys

PI = 3.14159265358979323
DAYS = 365.24
SOLAR_MASS = 4 * PI * PI


def bodies():
    return [
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], SOLAR_MASS],
        [[4.84, -1.16, -0.10], [0.606 * DAYS / 365.24, 2.81, -0.02], 9.5e-4 * SOLAR_MASS],
        [[8.34, 4.12, -0.40], [-1.01, 1.82, 0.008], 2.85e-4 * SOLAR_MASS],
        [[12.89, -15.11, -0.22], [1.08, 0.868, -0.01], 4.36e-5 * SOLAR_MASS],
        [[15.37, -25.91, 0.17], [0.979, 0.594, -0.034], 5.15e-5 * SOLAR_MASS],
    ]


def advance(system, dt, steps):
    pairs = [(a, b) for i, a in enumerate(system) for b in system[i + 1:]]
    for _ in range(steps):
        for (p1, v1, m1), (p2, v2, m2) in pairs:
            dx, dy, dz = p1[0] - p2[0], p1[1] - p2[1], p1[2] - p2[2]
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** -1.5)
            b1, b2 = m1 * mag, m2 * mag
            v1[0] -= dx * b2
            v1[1] -= dy * b2
            v1[2] -= dz * b2
            v2[0] += dx * b1
            v2[1] += dy * b1
            v2[2] += dz * b1
        for p, v, _m in system:
            p[0] += dt * v[0]
            p[1] += dt * v[1]
            p[2] += dt * v[2]


def energy(system):
    e = 0.0
    for i, (p, v, m) in enumerate(system):
        e += 0.5 * m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        for q, _w, m2 in system[i + 1:]:
            d = ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2) ** 0.5
            e -= m * m2 / d
    return e


if __name__ == "__main__":
    s = bodies()
    advance(s, 0.01, int(sys.argv[1]) if len(sys.argv) > 1 else 100000)
    print(round(energy(s), 9))
