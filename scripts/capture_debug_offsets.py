#!/usr/bin/env python3
"""Capture the _Py_DebugOffsets of every installed CPython 3.13+ build into tests/data/debug-offsets/.

Each file (3.14.bin, 3.14t.bin, ...) holds the bytes a target's _PyRuntime
starts with, as its libpython's .PyRuntime section initializes them:
sizeof(_Py_DebugOffsets) bytes, the size taken from the generated map in
core/pyabi/pyabi_tables.c. The C tests decode them without the versions
installed (tests/c/test_remote.c). Builds not installed keep their file.
"""

from __future__ import annotations

import glob
import os
import re
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "debug-offsets")
TABLE = os.path.join(ROOT, "core", "pyabi", "pyabi_tables.c")


def pyenv_root() -> str:
    try:
        return subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.expanduser("~/.pyenv")


def section(path: str, name: bytes) -> bytes:
    """The file bytes of ELF64 section `name` of `path`."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError(f"{path}: not a 64-bit ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def header(i: int) -> tuple[int, int, int, int]:
        sh_name, _type, _flags, _addr, offset, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        return sh_name, _type, offset, size

    _n, _t, stroff, _s = header(shstrndx)
    for i in range(shnum):
        sh_name, _type, offset, size = header(i)
        end = data.index(b"\0", stroff + sh_name)
        if data[stroff + sh_name : end] == name:
            return data[offset : offset + size]
    raise ValueError(f"{path}: no section {name.decode()}")


def main() -> int:
    with open(TABLE) as f:
        sizes = {
            int(v, 16): int(n) for v, n in re.findall(r"\.version = (0x[0-9a-f]+),\n        \.size = (\d+),", f.read())
        }
    os.makedirs(OUT, exist_ok=True)
    wrote = 0
    for version, size in sorted(sizes.items()):
        minor = (version >> 16) & 0xFF
        for t in ("", "t"):
            libs = sorted(
                glob.glob(
                    os.path.join(pyenv_root(), "versions", f"3.{minor}.*", "lib", f"libpython3.{minor}{t}.so.1.0")
                )
            )
            libs = [p for p in libs if p.split(os.sep)[-3].endswith("t") == bool(t)]
            if not libs:
                print(f"Python 3.{minor}{t}: not installed (its file, if any, kept)")
                continue
            data = section(libs[-1], b".PyRuntime")[:size]
            if data[:8] != b"xdebugpy" or len(data) != size:
                print(f"{libs[-1]}: no _Py_DebugOffsets at the start of .PyRuntime", file=sys.stderr)
                return 1
            with open(os.path.join(OUT, f"3.{minor}{t}.bin"), "wb") as f:
                f.write(data)
            wrote += 1
            print(f"Python 3.{minor}{t}: {size} bytes from {libs[-1]}")
    return 0 if wrote else 1


if __name__ == "__main__":
    sys.exit(main())
