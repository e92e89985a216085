/* A plain shared library (not an extension) for test_memory_native.py,
 * loaded with ctypes: it allocates with malloc through its own PLT, and
 * tells which malloc its GOT points at (--native's hook once patched). */
#include <stdlib.h>
#include <string.h>

void *natlib_grab(size_t n)
{
    char *p = malloc(n);
    if (p)
        memset(p, 1, n);
    return p;
}

void *natlib_seen(void) { return (void *)&malloc; }
