/* SPDX-License-Identifier: MIT */
/* compat: every difference between the supported CPython versions (3.9 to
 * 3.15) that the extension relies on. This is the only file that tests
 * PY_VERSION_HEX. */
#ifndef PYRO_COMPAT_H
#define PYRO_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#if PY_VERSION_HEX < 0x03090000
#error "pyrometer needs CPython 3.9 or newer"
#endif

#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *Py_NewRef(PyObject *o)
{
    Py_INCREF(o);
    return o;
}
#endif

#if PY_VERSION_HEX < 0x030A0000
static inline int PyModule_AddObjectRef(PyObject *m, const char *name, PyObject *value)
{
    Py_INCREF(value);
    if (PyModule_AddObject(m, name, value) < 0) {
        Py_DECREF(value);
        return -1;
    }
    return 0;
}
#endif

/* Is the interpreter shutting down? (made public in 3.13) */
#if PY_VERSION_HEX >= 0x030D0000
#define PYRO_IS_FINALIZING() Py_IsFinalizing()
#else
#define PYRO_IS_FINALIZING() _Py_IsFinalizing()
#endif

/* 3.12+: tracing through sys.monitoring (PEP 669); before: PyEval_SetProfile. */
#if PY_VERSION_HEX >= 0x030C0000
#define PYRO_HAVE_MONITORING 1
#else
#define PYRO_HAVE_MONITORING 0
#endif

/* 3.13+: PyRefTracer, a function told of every object freed, which the
 * garbage collector's watcher sets during a collection to count the types it
 * frees. Not on free-threaded builds: objects are freed on every thread at
 * once there, and the tracer is process-wide. */
#if PY_VERSION_HEX >= 0x030D0000 && !defined(Py_GIL_DISABLED)
#define PYRO_HAVE_REFTRACER 1
#else
#define PYRO_HAVE_REFTRACER 0
#endif

/* Whether the PEP 523 frame hook alone sees every Python call. From 3.13 on,
 * some specialized instructions (CALL_ALLOC_AND_ENTER_INIT: a class's
 * __init__) push frames without consulting the hook unless CALL events are
 * instrumented, so there it is only used beside sys.monitoring's CALL. */
#if PY_VERSION_HEX < 0x030D0000
#define PYRO_FRAME_HOOK_SEES_ALL 1
#else
#define PYRO_FRAME_HOOK_SEES_ALL 0
#endif

/* 3.11+: the eval-frame hook (PEP 523) receives a _PyInterpreterFrame
 * (internal/pycore_frame.h), not a PyFrameObject, and calling a generator
 * function evaluates its frame once before the generator exists. */
#if PY_VERSION_HEX >= 0x030B0000
#define PYRO_HAVE_INTERP_FRAME 1
#else
#define PYRO_HAVE_INTERP_FRAME 0
#endif

/* 3.13+: an interpreter frame names its code in f_executable (f_code before). */
#if PY_VERSION_HEX >= 0x030D0000
#define PYRO_FRAME_HAS_EXECUTABLE 1
#else
#define PYRO_FRAME_HAS_EXECUTABLE 0
#endif

/* 3.14+: f_executable is a _PyStackRef, a tagged pointer: the interpreter
 * reads the object by clearing the low bit (BITS_TO_PTR_MASKED; the bit marks
 * a reference the frame does not count, or a deferred one in free-threaded
 * builds). A code object is never a tagged int, so the mask is all it needs.
 * 3.13: a plain PyObject pointer. */
#if PY_VERSION_HEX >= 0x030E0000
#define PYRO_FRAME_EXECUTABLE_IS_STACKREF 1
#define PYRO_STACKREF_TAG_MASK ((uintptr_t)1)
#else
#define PYRO_FRAME_EXECUTABLE_IS_STACKREF 0
#endif

/* 3.12+: a frame that returns (or unwinds) is cleared, its locals released,
 * inside _PyEval_EvalFrameDefault, after the thread's current frame has gone
 * back to the caller, so finalizers of its locals run before the eval-frame
 * hook regains control. 3.11 clears it after the evaluator returns. The
 * thread's current frame: in its _PyCFrame on 3.12, in the thread state from
 * 3.13. */
#if PY_VERSION_HEX >= 0x030C0000
#define PYRO_FRAME_CLEARED_IN_EVAL 1
#if PY_VERSION_HEX >= 0x030D0000
#define PYRO_TSTATE_CURRENT_FRAME(ts) ((ts)->current_frame)
#else
#define PYRO_TSTATE_CURRENT_FRAME(ts) ((ts)->cframe->current_frame)
#endif
#else
#define PYRO_FRAME_CLEARED_IN_EVAL 0
#endif

/* The internal header that defines struct _PyInterpreterFrame and its owner
 * values (FRAME_OWNED_BY_GENERATOR): internal/pycore_frame.h on 3.11-3.13,
 * internal/pycore_interpframe_structs.h from 3.14 (which needs nothing else
 * from the internals). Only meaningful with PYRO_HAVE_INTERP_FRAME. */
#if PY_VERSION_HEX >= 0x030E0000
#define PYRO_INTERP_FRAME_HEADER "internal/pycore_interpframe_structs.h"
#else
#define PYRO_INTERP_FRAME_HEADER "internal/pycore_frame.h"
#endif

/* 3.10+: a type flag that makes a heap type impossible to instantiate from
 * Python (before: such types are simply not exposed). */
#ifdef Py_TPFLAGS_DISALLOW_INSTANTIATION
#define PYRO_TPFLAGS_NO_NEW Py_TPFLAGS_DISALLOW_INSTANTIATION
#else
#define PYRO_TPFLAGS_NO_NEW 0
#endif

/* Free-threaded builds (3.13t+, configure --disable-gil). The GIL may still
 * be on there (PYTHON_GIL=1, -X gil=1, or a module that needs it). */
#ifdef Py_GIL_DISABLED
#define PYRO_FREE_THREADED 1
#else
#define PYRO_FREE_THREADED 0
#endif

/* 3.13+: a module declares whether it needs the GIL (Py_mod_gil); without
 * the slot, importing it turns the GIL of a free-threaded build back on. */
#ifdef Py_mod_gil
#define PYRO_HAVE_MOD_GIL 1
#else
#define PYRO_HAVE_MOD_GIL 0
#endif

/* 3.13+: per-object critical sections, which serialize access to an object
 * on a free-threaded build running without the GIL and cost nothing where a
 * GIL serializes everything already. Before 3.13: nothing to do. */
#ifndef Py_BEGIN_CRITICAL_SECTION
#define Py_BEGIN_CRITICAL_SECTION(op) {
#define Py_END_CRITICAL_SECTION() }
#endif
#ifndef Py_BEGIN_CRITICAL_SECTION2
#define Py_BEGIN_CRITICAL_SECTION2(a, b) {
#define Py_END_CRITICAL_SECTION2() }
#endif

/* 1 if this interpreter runs without a GIL (a free-threaded build with the
 * GIL off), 0 if a GIL serializes its threads, -1 with an exception set if
 * that cannot be told. */
static inline int pyro_gil_disabled(void)
{
#if PYRO_FREE_THREADED
    PyObject *sys = PyImport_ImportModule("sys");
    PyObject *on = sys ? PyObject_CallMethod(sys, "_is_gil_enabled", NULL) : NULL;
    Py_XDECREF(sys);
    if (!on)
        return -1;
    int res = PyObject_IsTrue(on);
    Py_DECREF(on);
    return res < 0 ? -1 : !res;
#else
    return 0;
#endif
}

/* The code object a legacy profile hook's frame runs (borrowed). */
static inline PyCodeObject *pyro_frame_code(PyFrameObject *f)
{
#if !PYRO_HAVE_INTERP_FRAME
    return f->f_code;
#else
    PyCodeObject *code = PyFrame_GetCode(f); /* new reference, kept alive by the frame */
    Py_DECREF(code);
    return code;
#endif
}

/* The qualified name of a code object (3.11+), else its plain name. Borrowed. */
static inline PyObject *pyro_code_qualname(PyCodeObject *code)
{
#if PYRO_HAVE_INTERP_FRAME /* co_qualname came in the same version, 3.11 */
    return code->co_qualname;
#else
    return code->co_name;
#endif
}

/* Non-zero if `ts` has `func` installed as its legacy profile function. */
static inline int pyro_tstate_has_profile(PyThreadState *ts, Py_tracefunc func)
{
#if PYRO_HAVE_MONITORING
    (void)ts;
    (void)func;
    return 0;
#else
    return ts->c_profilefunc == func;
#endif
}

/* Non-zero if `ts` has any legacy profile function installed. */
static inline int pyro_tstate_profiled(PyThreadState *ts)
{
#if PYRO_HAVE_MONITORING
    (void)ts;
    return 0;
#else
    return ts->c_profilefunc != NULL;
#endif
}

/* The legacy trace hook (PyEval_SetTrace, 3.9-3.11) of the line timer reads
 * and writes a PyFrameObject's fields directly: its code, the line of a LINE
 * event (f_lineno is set for the duration of every trace call; the public
 * PyFrame_GetLineNumber would decode the line table again), whether a CALL
 * event starts the frame or resumes it (a generator), and f_trace_lines.
 * 3.11 moved the frame object into the internals (internal/pycore_frame.h,
 * which the user includes with Py_BUILD_CORE when
 * PYRO_LEGACY_FRAME_INTERNAL): its code is in the interpreter frame, and a
 * frame starts at the first RESUME (_co_firsttraceable; a generator's frame
 * first runs RETURN_GENERATOR, before any trace event). 3.9-3.10: f_lasti is
 * -1 until the first instruction. */
#if !PYRO_HAVE_MONITORING
#if PY_VERSION_HEX >= 0x030B0000
#define PYRO_LEGACY_FRAME_INTERNAL 1
#define PYRO_LFRAME_CODE(f) ((f)->f_frame->f_code)
#define PYRO_LFRAME_IS_START(f)                                                                    \
    ((f)->f_frame->prev_instr ==                                                                   \
     _PyCode_CODE(PYRO_LFRAME_CODE(f)) + PYRO_LFRAME_CODE(f)->_co_firsttraceable)
#else
#define PYRO_LEGACY_FRAME_INTERNAL 0
#define PYRO_LFRAME_CODE(f) ((f)->f_code)
#define PYRO_LFRAME_IS_START(f) ((f)->f_lasti < 0)
#endif
#define PYRO_LFRAME_LINENO(f) ((f)->f_lineno)
#define PYRO_LFRAME_SET_TRACE_LINES(f, v) ((f)->f_trace_lines = (char)(v))
#endif

/* Non-zero if `ts` has `func` installed as its legacy trace function
 * (never on 3.12+, where the line timer does not use it). */
static inline int pyro_tstate_has_trace(PyThreadState *ts, Py_tracefunc func)
{
#if PYRO_HAVE_MONITORING
    (void)ts;
    (void)func;
    return 0;
#else
    return ts->c_tracefunc == func;
#endif
}

/* Non-zero if `ts` has any legacy trace function (sys.settrace) installed,
 * and the object passed to it (borrowed; NULL on 3.12+). */
static inline int pyro_tstate_traced(PyThreadState *ts)
{
#if PYRO_HAVE_MONITORING
    (void)ts;
    return 0;
#else
    return ts->c_tracefunc != NULL;
#endif
}

static inline PyObject *pyro_tstate_traceobj(PyThreadState *ts)
{
#if PYRO_HAVE_MONITORING
    (void)ts;
    return NULL;
#else
    return ts->c_traceobj;
#endif
}

/* Small ints as sys.monitoring passes line numbers: read without the
 * overflow checks of PyLong_AsLong where the API allows (3.12+). -1 if not
 * an int that fits. */
static inline long pyro_small_long(PyObject *v)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (__builtin_expect(PyLong_CheckExact(v) && PyUnstable_Long_IsCompact((PyLongObject *)v), 1))
        return (long)PyUnstable_Long_CompactValue((PyLongObject *)v);
#endif
    long r = PyLong_Check(v) ? PyLong_AsLong(v) : -1;
    if (r == -1 && PyErr_Occurred())
        PyErr_Clear();
    return r;
}

/* ==== the memory tracker's view of threads and frames (hook_alloc) ==== */

/* The calling thread's state, or NULL if it has none; never fails, may be
 * called without the GIL. 3.9-3.11: the runtime's current thread state,
 * which is the caller's only while it holds the GIL. */
#if PY_VERSION_HEX >= 0x030D0000
#define PYRO_TSTATE_UNCHECKED() PyThreadState_GetUnchecked()
#else
#define PYRO_TSTATE_UNCHECKED() _PyThreadState_UncheckedGet()
#endif

/* Non-zero if the calling thread holds the GIL (is attached to the
 * interpreter), callable from an allocator hook of the raw domain, with or
 * without it. 3.12+: a thread's current thread state is thread-local and
 * cleared when it releases the GIL. Before: PyGILState_Check compares the
 * runtime's current thread state with the caller's own. */
#if PY_VERSION_HEX >= 0x030C0000
#define PYRO_THREAD_ATTACHED() (PYRO_TSTATE_UNCHECKED() != NULL)
#else
#define PYRO_THREAD_ATTACHED() PyGILState_Check()
#endif

/* The innermost Python frame of a thread state: 3.9-3.10, a PyFrameObject
 * (ts->frame); 3.11+, a _PyInterpreterFrame (the user includes
 * PYRO_INTERP_FRAME_HEADER), in the _PyCFrame on 3.11-3.12, in the thread
 * state from 3.13. */
#if PY_VERSION_HEX >= 0x030D0000
#define PYRO_TSTATE_TOP_FRAME(ts) ((ts)->current_frame)
#elif PY_VERSION_HEX >= 0x030B0000
#define PYRO_TSTATE_TOP_FRAME(ts) ((ts)->cframe ? (ts)->cframe->current_frame : NULL)
#else
#define PYRO_TSTATE_TOP_FRAME(ts) ((ts)->frame)
#endif

/* 3.9-3.10: the byte offset of a PyFrameObject's last instruction (f_lasti
 * counts bytes on 3.9, code units on 3.10; -1 before the first). */
#if PY_VERSION_HEX >= 0x030A0000
#define PYRO_PYFRAME_OFFSET(f) ((f)->f_lasti < 0 ? 0 : (f)->f_lasti * 2) /* two-byte units */
#elif PY_VERSION_HEX < 0x030B0000
#define PYRO_PYFRAME_OFFSET(f) ((f)->f_lasti < 0 ? 0 : (f)->f_lasti)
#endif

/* 3.11+ interpreter frames (PYRO_HAVE_INTERP_FRAME):
 * - PYRO_IFRAME_CODE(f): the object the frame runs (a code object, or
 *   something else in a shim frame: check PyCode_Check), borrowed;
 * - PYRO_IFRAME_IS_SHIM(f): the frame belongs to the C stack or the
 *   interpreter (entry and trampoline frames: 3.12+), not to Python code;
 * - PYRO_IFRAME_INSTR(f): its current instruction (3.11-3.12: prev_instr,
 *   the last one started; 3.13+: instr_ptr);
 * - PYRO_IFRAME_BYTECODE(f, code): the start of the bytecode that
 *   instruction is in (free-threaded 3.14+: the thread's own copy,
 *   co_tlbc->entries[f->tlbc_index]). */
#if PYRO_HAVE_INTERP_FRAME
#if PYRO_FRAME_EXECUTABLE_IS_STACKREF
#define PYRO_IFRAME_CODE(f) ((PyObject *)((f)->f_executable.bits & ~PYRO_STACKREF_TAG_MASK))
#elif PYRO_FRAME_HAS_EXECUTABLE
#define PYRO_IFRAME_CODE(f) ((f)->f_executable)
#else
#define PYRO_IFRAME_CODE(f) ((PyObject *)(f)->f_code)
#endif
#if PY_VERSION_HEX >= 0x030E0000
#define PYRO_IFRAME_IS_SHIM(f) ((f)->owner >= FRAME_OWNED_BY_INTERPRETER)
#elif PY_VERSION_HEX >= 0x030C0000
#define PYRO_IFRAME_IS_SHIM(f) ((f)->owner == FRAME_OWNED_BY_CSTACK)
#else
#define PYRO_IFRAME_IS_SHIM(f) 0
#endif
#if PY_VERSION_HEX >= 0x030D0000
#define PYRO_IFRAME_INSTR(f) ((f)->instr_ptr)
#else
#define PYRO_IFRAME_INSTR(f) ((f)->prev_instr)
#endif
#if PYRO_FREE_THREADED && PY_VERSION_HEX >= 0x030E0000
#define PYRO_IFRAME_BYTECODE(f, code)                                                              \
    ((const char *)((PyCodeObject *)(code))->co_tlbc->entries[(f)->tlbc_index])
#else
#define PYRO_IFRAME_BYTECODE(f, code) ((const char *)((PyCodeObject *)(code))->co_code_adaptive)
#endif
#endif

/* The size in bytes of a code object's instructions (the offsets
 * PyCode_Addr2Line takes are below it): 3.11+, Py_SIZE counts code units;
 * before, co_code is a bytes object. */
#if PYRO_HAVE_INTERP_FRAME
#define PYRO_CODE_NBYTES(code) ((size_t)Py_SIZE(code) * 2) /* a code unit: two bytes */
#else
#define PYRO_CODE_NBYTES(code) ((size_t)PyBytes_GET_SIZE((code)->co_code))
#endif

#endif
