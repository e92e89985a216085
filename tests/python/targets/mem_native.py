"""Native allocations for test_memory_native.py: a C extension built by the
test (argument "ext"), or numpy ("numpy"). Each allocation on a line marked
for the test."""

import sys

MIB = 1024 * 1024

if sys.argv[1] == "ext":
    import native_ext

    kept = native_ext.grab(24 * MIB)  # GRAB
    tmp = native_ext.grab(8 * MIB)  # TMP
    native_ext.release(tmp)
    grown = native_ext.grab(4 * MIB)  # SMALL
    grown = native_ext.grow(grown, 12 * MIB)  # GROW
    mapped = native_ext.mapit(16 * MIB)  # MAP
    gone = native_ext.mapit(4 * MIB)  # GONE
    native_ext.unmap(gone, 4 * MIB)
    part = native_ext.mapit(8 * MIB)  # PART
    native_ext.unmap(part, 4 * MIB)  # the first half only
    detached = native_ext.grab_nogil(6 * MIB)  # NOGIL
else:
    import numpy as np

    arr = np.empty(5 * MIB)  # ARRAY
    arr[:] = 1.0
    zeros = np.zeros(MIB)  # ZEROS
    del zeros
print("mem_native ran")
