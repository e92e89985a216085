/* A tiny C extension for tests/python/test_memory_native.py, built by the
 * test with the C compiler: each function allocates or frees with the C
 * library's functions, called through this object's own PLT/GOT as a C
 * extension's are (not through the interpreter's allocators). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static PyObject *grab(PyObject *self, PyObject *arg)
{
    (void)self;
    size_t n = PyLong_AsSize_t(arg);
    if (n == (size_t)-1 && PyErr_Occurred())
        return NULL;
    char *p = malloc(n);
    if (!p)
        return PyErr_NoMemory();
    memset(p, 1, n);
    return PyLong_FromVoidPtr(p);
}

static PyObject *grab_nogil(PyObject *self, PyObject *arg)
{
    (void)self;
    size_t n = PyLong_AsSize_t(arg);
    if (n == (size_t)-1 && PyErr_Occurred())
        return NULL;
    PyThreadState *saved = PyEval_SaveThread(); /* the GIL released, as a long C call does */
    char *p = malloc(n);
    if (p)
        memset(p, 1, n);
    PyEval_RestoreThread(saved);
    if (!p)
        return PyErr_NoMemory();
    return PyLong_FromVoidPtr(p);
}

static PyObject *grow(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *addr;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "On", &addr, &n))
        return NULL;
    void *p = realloc(PyLong_AsVoidPtr(addr), (size_t)n);
    if (!p)
        return PyErr_NoMemory();
    return PyLong_FromVoidPtr(p);
}

static PyObject *release(PyObject *self, PyObject *addr)
{
    (void)self;
    free(PyLong_AsVoidPtr(addr));
    Py_RETURN_NONE;
}

static PyObject *mapit(PyObject *self, PyObject *arg)
{
    (void)self;
    size_t n = PyLong_AsSize_t(arg);
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return PyErr_NoMemory();
    return PyLong_FromVoidPtr(p);
}

static PyObject *unmap(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *addr;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "On", &addr, &n))
        return NULL;
    munmap(PyLong_AsVoidPtr(addr), (size_t)n);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"grab", grab, METH_O, "malloc(n) (touched), as an address"},
    {"grab_nogil", grab_nogil, METH_O, "malloc(n) (touched) with the GIL released"},
    {"grow", grow, METH_VARARGS, "realloc(addr, n)"},
    {"release", release, METH_O, "free(addr)"},
    {"mapit", mapit, METH_O, "an anonymous mmap of n bytes"},
    {"unmap", unmap, METH_VARARGS, "munmap(addr, n)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "native_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit_native_ext(void) { return PyModule_Create(&mod); }
