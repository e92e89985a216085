"""A small ray tracer written the object-heavy way: every vector, ray, hit and colour is a new
Python object (a class with a __dict__), so the program allocates and frees millions of small
objects. python mem_raytrace.py [SIZE] renders a SIZE x SIZE image (default 360) of spheres on a
plane with one light, shadows and one reflection bounce.

Check value: the sum of the image's 8-bit channels. memory_profiler's variant decorates
render_row, which calls everything else."""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memwork


class Vec:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z

    def __add__(self, o):
        return Vec(self.x + o.x, self.y + o.y, self.z + o.z)

    def __sub__(self, o):
        return Vec(self.x - o.x, self.y - o.y, self.z - o.z)

    def scale(self, k):
        return Vec(self.x * k, self.y * k, self.z * k)

    def mul(self, o):
        return Vec(self.x * o.x, self.y * o.y, self.z * o.z)

    def dot(self, o):
        return self.x * o.x + self.y * o.y + self.z * o.z

    def norm(self):
        return self.scale(1.0 / math.sqrt(self.dot(self)))


class Ray:
    def __init__(self, origin, direction):
        self.origin = origin
        self.direction = direction

    def at(self, t):
        return self.origin + self.direction.scale(t)


class Hit:
    def __init__(self, t, point, normal, thing):
        self.t = t
        self.point = point
        self.normal = normal
        self.thing = thing


class Sphere:
    def __init__(self, center, radius, colour, mirror):
        self.center = center
        self.radius = radius
        self.colour = colour
        self.mirror = mirror

    def intersect(self, ray):
        oc = ray.origin - self.center
        b = oc.dot(ray.direction)
        c = oc.dot(oc) - self.radius * self.radius
        disc = b * b - c
        if disc < 0:
            return None
        t = -b - math.sqrt(disc)
        if t < 1e-4:
            return None
        p = ray.at(t)
        return Hit(t, p, (p - self.center).scale(1.0 / self.radius), self)


class Plane:
    def __init__(self, normal, offset, colour):
        self.normal = normal
        self.offset = offset
        self.colour = colour
        self.mirror = 0.0

    def intersect(self, ray):
        denom = self.normal.dot(ray.direction)
        if abs(denom) < 1e-9:
            return None
        t = -(self.normal.dot(ray.origin) + self.offset) / denom
        if t < 1e-4:
            return None
        return Hit(t, ray.at(t), self.normal, self)


SCENE = [
    Sphere(Vec(0.0, 1.0, 5.0), 1.0, Vec(0.9, 0.2, 0.2), 0.3),
    Sphere(Vec(-2.0, 0.7, 6.0), 0.7, Vec(0.2, 0.9, 0.2), 0.0),
    Sphere(Vec(2.0, 0.5, 4.5), 0.5, Vec(0.2, 0.3, 0.9), 0.5),
    Plane(Vec(0.0, 1.0, 0.0), 0.0, Vec(0.8, 0.8, 0.8)),
]
LIGHT = Vec(-3.0, 5.0, 1.0)
AMBIENT = 0.1


def closest(ray):
    best = None
    for thing in SCENE:
        hit = thing.intersect(ray)
        if hit is not None and (best is None or hit.t < best.t):
            best = hit
    return best


def shade(ray, depth):
    hit = closest(ray)
    if hit is None:
        return Vec(0.1, 0.1, 0.2)
    to_light = (LIGHT - hit.point).norm()
    lit = max(0.0, hit.normal.dot(to_light))
    if lit > 0 and closest(Ray(hit.point, to_light)) is not None:
        lit = 0.0
    colour = hit.thing.colour.scale(AMBIENT + (1 - AMBIENT) * lit)
    if hit.thing.mirror > 0 and depth < 1:
        d = ray.direction
        reflected = d - hit.normal.scale(2 * d.dot(hit.normal))
        bounce = shade(Ray(hit.point, reflected.norm()), depth + 1)
        colour = colour.scale(1 - hit.thing.mirror) + bounce.scale(hit.thing.mirror)
    return colour


def render_row(y, size, eye):
    row = []
    for x in range(size):
        d = Vec((x - size / 2) / size, (size / 2 - y) / size + 0.3, 1.0).norm()
        c = shade(Ray(eye, d), 0)
        row.append((min(255, int(c.x * 255)), min(255, int(c.y * 255)), min(255, int(c.z * 255))))
    return row


def render(size):
    eye = Vec(0.0, 1.5, 0.0)
    image = [render_row(y, size, eye) for y in range(size)]
    return sum(r + g + b for row in image for r, g, b in row)


def decorate(profile):
    global render_row
    render_row = profile(render_row)


if __name__ == "__main__":
    memwork.run(render, 360, decorate)
