/* SPDX-License-Identifier: MIT */
/* pyabi_probe: compiled against one CPython's (internal) headers by
 * scripts/gen_pyabi.py; prints the offsets pyrometer's remote reader needs as
 * one C initializer of pyro_layout_t (core/pyabi/pyabi.h), the meanings of
 * the values it hard-codes nowhere else (frame owners, stackref tag bits),
 * and, for 3.13+, after a line "--", the initializer of pyro_dbgmap_t: the
 * 8-byte slot of each field inside that version's _Py_DebugOffsets.
 * Not part of the build. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#if PY_VERSION_HEX >= 0x030E0000
#include "internal/pycore_interpframe_structs.h"
#include "internal/pycore_stackref.h"
#endif
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h"
#include "internal/pycore_object.h"
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
#ifdef Py_GIL_DISABLED
    printf("        .free_threaded = 1,\n");
#else
    printf("        .free_threaded = 0,\n");
#endif
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
#ifdef Py_GIL_DISABLED
    printf("        .gil_enabled = %ld,\n", OFF(struct _gil_runtime_state, enabled));
#else
    printf("        .gil_enabled = -1,\n");
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
    printf("        .ts_frame = %ld,\n        .cframe_current_frame = -1,\n",
           OFF(PyThreadState, frame));
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
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX >= 0x030E0000
    printf("        .frame_tlbc_index = %ld,\n", OFF(struct _PyInterpreterFrame, tlbc_index));
    printf("        .co_tlbc = %ld,\n", OFF(PyCodeObject, co_tlbc));
    printf("        .codearray_size = %ld,\n", OFF(_PyCodeArray, size));
    printf("        .codearray_entries = %ld,\n", OFF(_PyCodeArray, entries));
#else
    printf("        .frame_tlbc_index = -1,\n        .co_tlbc = -1,\n");
    printf("        .codearray_size = -1,\n        .codearray_entries = -1,\n");
#endif
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
    printf("        .frame_tlbc_index = -1,\n        .co_tlbc = -1,\n");
    printf("        .codearray_size = -1,\n        .codearray_entries = -1,\n");
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
#if PY_VERSION_HEX >= 0x030D0000
    printf("        .dv_capacity = %ld,\n", OFF(PyDictValues, capacity));
    printf("        .dv_valid = %ld,\n", OFF(PyDictValues, valid));
#else
    printf("        .dv_capacity = -1,\n        .dv_valid = -1,\n");
#endif
#ifdef MANAGED_DICT_OFFSET
    printf("        .managed_dict = %ld,\n", (long)MANAGED_DICT_OFFSET);
#else /* 3.11/3.12 name no constant: _PyObject_ManagedDictPointer() and                            \
       * _PyObject_DictOrValuesPointer() are the pointer 3 words before it */
    printf("        .managed_dict = %ld,\n", -3 * (long)sizeof(PyObject *));
#endif
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
    printf("        .dv_capacity = -1,\n        .dv_valid = -1,\n");
    printf("        .managed_dict = -1,\n");
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
    /* meanings */
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030F0000 /* 3.15 has no C-stack frames */
    printf("        .owner_cstack = %d,\n", (int)FRAME_OWNED_BY_CSTACK);
#else
    printf("        .owner_cstack = -1,\n");
#endif
#if PY_VERSION_HEX >= 0x030E0000
    printf("        .owner_interpreter = %d,\n", (int)FRAME_OWNED_BY_INTERPRETER);
    printf("        .executable_tag = %d,\n", (int)Py_TAG_BITS);
#else
    printf("        .owner_interpreter = -1,\n");
    printf("        .executable_tag = 0,\n");
#endif
    /* the bit positions of the str state's fields, found by setting each */
    {
        PyASCIIObject o;
        unsigned raw;
        memset(&o, 0, sizeof o);
        o.state.kind = 1;
        memcpy(&raw, &o.state, sizeof raw);
        printf("        .unicode_kind_bit = %d,\n", __builtin_ctz(raw));
        memset(&o, 0, sizeof o);
        o.state.compact = 1;
        memcpy(&raw, &o.state, sizeof raw);
        printf("        .unicode_compact_bit = %d,\n", __builtin_ctz(raw));
        memset(&o, 0, sizeof o);
        o.state.ascii = 1;
        memcpy(&raw, &o.state, sizeof raw);
        printf("        .unicode_ascii_bit = %d,\n", __builtin_ctz(raw));
    }
    printf("    },\n");
#if PY_VERSION_HEX >= 0x030D0000
    /* the debug-offsets map: where each field sits in _Py_DebugOffsets */
#define SLOT(name, member)                                                                         \
    printf("                ." #name " = %ld,\n", (long)(offsetof(_Py_DebugOffsets, member) / 8))
    printf("--\n    {\n");
    printf("        .version = 0x%08x,\n", (unsigned)(PY_VERSION_HEX & 0xffff0000));
    printf("        .size = %ld,\n", (long)sizeof(_Py_DebugOffsets));
    printf("        .gil_state = %ld,\n",
           (long)(offsetof(_Py_DebugOffsets, interpreter_state.gil_runtime_state) / 8));
    printf("        .slot =\n            {\n");
    SLOT(rt_interpreters_head, runtime_state.interpreters_head);
    SLOT(interp_next, interpreter_state.next);
    SLOT(interp_threads_head, interpreter_state.threads_head);
    SLOT(interp_modules, interpreter_state.imports_modules);
    SLOT(interp_gil, interpreter_state.ceval_gil);
    SLOT(gil_locked, interpreter_state.gil_runtime_state_locked);
    SLOT(gil_last_holder, interpreter_state.gil_runtime_state_holder);
    /* (gil_runtime_state_enabled is not mapped: an offset within the GIL
     * state there, not within the interpreter like its neighbours) */
    SLOT(ts_next, thread_state.next);
    SLOT(ts_frame, thread_state.current_frame);
    SLOT(ts_thread_id, thread_state.thread_id);
    SLOT(ts_native_thread_id, thread_state.native_thread_id);
    SLOT(ts_datastack_chunk, thread_state.datastack_chunk);
    SLOT(frame_previous, interpreter_frame.previous);
    SLOT(frame_code, interpreter_frame.executable);
    SLOT(frame_instr, interpreter_frame.instr_ptr);
    SLOT(frame_owner, interpreter_frame.owner);
#if PY_VERSION_HEX >= 0x030E0000 /* 0 in a default build: its table says -1, which is kept */
    SLOT(frame_tlbc_index, interpreter_frame.tlbc_index);
    SLOT(co_tlbc, code_object.co_tlbc);
#endif
    SLOT(co_filename, code_object.filename);
    SLOT(co_name, code_object.name);
    SLOT(co_qualname, code_object.qualname);
    SLOT(co_linetable, code_object.linetable);
    SLOT(co_firstlineno, code_object.firstlineno);
    SLOT(co_code_adaptive, code_object.co_code_adaptive);
    SLOT(ob_type, pyobject.ob_type);
    SLOT(tp_name, type_object.tp_name);
    SLOT(tp_flags, type_object.tp_flags);
#if PY_VERSION_HEX >= 0x030F0000
    SLOT(tp_basicsize, type_object.tp_basicsize);
    SLOT(tp_dictoffset, type_object.tp_dictoffset);
    SLOT(ht_cached_keys, heap_type_object.ht_cached_keys);
    SLOT(unicode_compact_size, unicode_object.compactunicodeobject_size);
#endif
    SLOT(dict_keys, dict_object.ma_keys);
    SLOT(dict_values, dict_object.ma_values);
    SLOT(long_size, long_object.lv_tag);
    SLOT(long_digit, long_object.ob_digit);
    SLOT(bytes_size, bytes_object.ob_size);
    SLOT(bytes_sval, bytes_object.ob_sval);
    SLOT(unicode_state, unicode_object.state);
    SLOT(unicode_length, unicode_object.length);
    SLOT(unicode_ascii_size, unicode_object.asciiobject_size);
    printf("            },\n    },\n");
#endif
    return 0;
}
