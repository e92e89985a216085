/* SPDX-License-Identifier: MIT */
/* pyabi_probe: compiled against one CPython's (internal) headers by
 * scripts/gen_pyabi.py; prints the offsets pyrometer's remote reader needs as
 * one C initializer of pyro_layout_t (core/pyabi/pyabi.h). Not part of the build. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>

#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h"
#else
#include <frameobject.h>
#endif
#if PY_VERSION_HEX < 0x030C0000
#include "internal/pycore_gil.h"
#endif
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_dict.h"
#else
#include <longintrepr.h>
#endif

#define OFF(type, field) ((long)offsetof(type, field))

int main(void)
{
    printf("    {\n");
    printf("        .version = 0x%08x,\n", (unsigned)(PY_VERSION_HEX & 0xffff0000));
    printf("        .rt_interpreters_head = %ld,\n", OFF(_PyRuntimeState, interpreters.head));
#if PY_VERSION_HEX < 0x030C0000
    printf("        .rt_gil_locked = %ld,\n", OFF(_PyRuntimeState, ceval.gil.locked));
    printf("        .rt_gil_last_holder = %ld,\n", OFF(_PyRuntimeState, ceval.gil.last_holder));
    printf("        .interp_gil = -1,\n");
    printf("        .gil_locked = -1,\n        .gil_last_holder = -1,\n");
#else
    printf("        .rt_gil_locked = -1,\n        .rt_gil_last_holder = -1,\n");
    printf("        .interp_gil = %ld,\n", OFF(PyInterpreterState, ceval.gil));
    printf("        .gil_locked = %ld,\n", OFF(struct _gil_runtime_state, locked));
    printf("        .gil_last_holder = %ld,\n", OFF(struct _gil_runtime_state, last_holder));
#endif
    printf("        .interp_next = %ld,\n", OFF(PyInterpreterState, next));
#if PY_VERSION_HEX >= 0x030B0000
    printf("        .interp_threads_head = %ld,\n", OFF(PyInterpreterState, threads.head));
#else
    printf("        .interp_threads_head = %ld,\n", OFF(PyInterpreterState, tstate_head));
#endif
    printf("        .ts_next = %ld,\n", OFF(PyThreadState, next));
    printf("        .ts_thread_id = %ld,\n", OFF(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030B0000
    printf("        .ts_native_thread_id = %ld,\n", OFF(PyThreadState, native_thread_id));
#else
    printf("        .ts_native_thread_id = -1,\n");
#endif
#if PY_VERSION_HEX >= 0x030D0000
    printf("        .ts_frame = %ld,\n        .cframe_current_frame = -1,\n",
           OFF(PyThreadState, current_frame));
#elif PY_VERSION_HEX >= 0x030B0000
    printf("        .ts_frame = %ld,\n", OFF(PyThreadState, cframe));
    printf("        .cframe_current_frame = %ld,\n", OFF(_PyCFrame, current_frame));
#else
    printf("        .ts_frame = %ld,\n        .cframe_current_frame = -1,\n", OFF(PyThreadState, frame));
#endif
#if PY_VERSION_HEX >= 0x030B0000
    printf("        .ts_datastack_chunk = %ld,\n", OFF(PyThreadState, datastack_chunk));
    printf("        .ts_datastack_top = %ld,\n", OFF(PyThreadState, datastack_top));
    printf("        .chunk_data = %ld,\n", OFF(_PyStackChunk, data));
    printf("        .frame_previous = %ld,\n", OFF(struct _PyInterpreterFrame, previous));
#if PY_VERSION_HEX >= 0x030D0000
    printf("        .frame_code = %ld,\n", OFF(struct _PyInterpreterFrame, f_executable));
    printf("        .frame_instr = %ld,\n", OFF(struct _PyInterpreterFrame, instr_ptr));
#else
    printf("        .frame_code = %ld,\n", OFF(struct _PyInterpreterFrame, f_code));
    printf("        .frame_instr = %ld,\n", OFF(struct _PyInterpreterFrame, prev_instr));
#endif
    printf("        .frame_owner = %ld,\n", OFF(struct _PyInterpreterFrame, owner));
    printf("        .frame_state = -1,\n");
    printf("        .co_code_adaptive = %ld,\n", OFF(PyCodeObject, co_code_adaptive));
    printf("        .co_qualname = %ld,\n", OFF(PyCodeObject, co_qualname));
    printf("        .co_linetable = %ld,\n", OFF(PyCodeObject, co_linetable));
#else
    printf("        .ts_datastack_chunk = -1,\n        .ts_datastack_top = -1,\n");
    printf("        .chunk_data = -1,\n");
    printf("        .frame_previous = %ld,\n", OFF(PyFrameObject, f_back));
    printf("        .frame_code = %ld,\n", OFF(PyFrameObject, f_code));
    printf("        .frame_instr = %ld,\n", OFF(PyFrameObject, f_lasti));
    printf("        .frame_owner = -1,\n");
#if PY_VERSION_HEX >= 0x030A0000
    printf("        .frame_state = %ld,\n", OFF(PyFrameObject, f_state));
#else
    printf("        .frame_state = %ld,\n", OFF(PyFrameObject, f_executing));
#endif
    printf("        .co_code_adaptive = -1,\n");
    printf("        .co_qualname = -1,\n");
#if PY_VERSION_HEX >= 0x030A0000
    printf("        .co_linetable = %ld,\n", OFF(PyCodeObject, co_linetable));
#else
    printf("        .co_linetable = %ld,\n", OFF(PyCodeObject, co_lnotab));
#endif
#endif
    printf("        .co_name = %ld,\n", OFF(PyCodeObject, co_name));
    printf("        .co_filename = %ld,\n", OFF(PyCodeObject, co_filename));
    printf("        .co_firstlineno = %ld,\n", OFF(PyCodeObject, co_firstlineno));
    printf("        .co_flags = %ld,\n", OFF(PyCodeObject, co_flags));
    printf("        .ob_type = %ld,\n", OFF(PyObject, ob_type));
    printf("        .tp_name = %ld,\n", OFF(PyTypeObject, tp_name));
    printf("        .unicode_state = %ld,\n", OFF(PyASCIIObject, state));
    printf("        .unicode_length = %ld,\n", OFF(PyASCIIObject, length));
    printf("        .unicode_ascii_size = %ld,\n", (long)sizeof(PyASCIIObject));
    printf("        .unicode_compact_size = %ld,\n", (long)sizeof(PyCompactUnicodeObject));
    printf("        .bytes_size = %ld,\n", OFF(PyVarObject, ob_size));
    printf("        .bytes_sval = %ld,\n", OFF(PyBytesObject, ob_sval));
    /* sys.modules, dicts, ints and instance attributes: thread names */
#if PY_VERSION_HEX >= 0x030C0000
    printf("        .interp_modules = %ld,\n", OFF(PyInterpreterState, imports.modules));
#else
    printf("        .interp_modules = %ld,\n", OFF(PyInterpreterState, modules));
#endif
    printf("        .dict_keys = %ld,\n", OFF(PyDictObject, ma_keys));
    printf("        .dict_values = %ld,\n", OFF(PyDictObject, ma_values));
#if PY_VERSION_HEX >= 0x030B0000
    printf("        .dk_size = -1,\n");
    printf("        .dk_log2_size = %ld,\n", OFF(PyDictKeysObject, dk_log2_size));
    printf("        .dk_log2_index_bytes = %ld,\n", OFF(PyDictKeysObject, dk_log2_index_bytes));
    printf("        .dk_kind = %ld,\n", OFF(PyDictKeysObject, dk_kind));
    printf("        .dk_nentries = %ld,\n", OFF(PyDictKeysObject, dk_nentries));
    printf("        .dk_indices = %ld,\n", OFF(PyDictKeysObject, dk_indices));
    printf("        .dk_entry_size = %ld,\n", (long)sizeof(PyDictKeyEntry));
    printf("        .dk_unicode_entry_size = %ld,\n", (long)sizeof(PyDictUnicodeEntry));
    printf("        .dv_values = %ld,\n", OFF(PyDictValues, values));
    printf("        .ht_cached_keys = %ld,\n", OFF(PyHeapTypeObject, ht_cached_keys));
#else
    /* struct _dictkeysobject lives in Objects/dict-common.h, which is not
     * installed: {Py_ssize_t dk_refcnt, dk_size; dict_lookup_func dk_lookup;
     * Py_ssize_t dk_usable, dk_nentries; char dk_indices[]}, entries of
     * {Py_hash_t me_hash; PyObject *me_key, *me_value}. */
    printf("        .dk_size = %ld,\n", (long)sizeof(Py_ssize_t));
    printf("        .dk_log2_size = -1,\n        .dk_log2_index_bytes = -1,\n");
    printf("        .dk_kind = -1,\n");
    printf("        .dk_nentries = %ld,\n", (long)(3 * sizeof(Py_ssize_t) + sizeof(void *)));
    printf("        .dk_indices = %ld,\n", (long)(4 * sizeof(Py_ssize_t) + sizeof(void *)));
    printf("        .dk_entry_size = %ld,\n", (long)(sizeof(Py_hash_t) + 2 * sizeof(PyObject *)));
    printf("        .dk_unicode_entry_size = -1,\n");
    printf("        .dv_values = 0,\n");
    printf("        .ht_cached_keys = -1,\n");
#endif
#if PY_VERSION_HEX >= 0x030C0000
    printf("        .long_size = %ld,\n", OFF(PyLongObject, long_value.lv_tag));
    printf("        .long_digit = %ld,\n", OFF(PyLongObject, long_value.ob_digit));
#else
    printf("        .long_size = %ld,\n", OFF(PyVarObject, ob_size));
    printf("        .long_digit = %ld,\n", OFF(PyLongObject, ob_digit));
#endif
    printf("        .tp_basicsize = %ld,\n", OFF(PyTypeObject, tp_basicsize));
    printf("        .tp_dictoffset = %ld,\n", OFF(PyTypeObject, tp_dictoffset));
    printf("        .tp_flags = %ld,\n", OFF(PyTypeObject, tp_flags));
    printf("    },\n");
    return 0;
}
