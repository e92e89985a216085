/* SPDX-License-Identifier: MIT */
/* pyabi: where the fields pyrometer reads live inside another process's
 * CPython runtime, per minor version (x86-64 Linux). Offsets are in bytes
 * from the start of the structure; -1 means the field does not exist in that
 * version. The tables (pyabi_tables.c) are generated from each version's
 * headers; for 3.13+ the target's own _Py_DebugOffsets can be read instead. */
#ifndef PYRO_PYABI_H
#define PYRO_PYABI_H

#include <stddef.h>
#include <stdint.h>

typedef struct pyro_layout {
    uint32_t version; /* PY_VERSION_HEX of the minor version: 0x030B0000 */
    /* _PyRuntimeState */
    int32_t rt_interpreters_head;
    int32_t rt_gil_locked;      /* <= 3.11: ceval.gil.locked (int) */
    int32_t rt_gil_last_holder; /* <= 3.11: ceval.gil.last_holder (PyThreadState*) */
    /* PyInterpreterState */
    int32_t interp_next;
    int32_t interp_threads_head;
    int32_t interp_gil;      /* >= 3.12: ceval.gil, a pointer to the GIL state */
    int32_t gil_locked;      /* >= 3.12: within the GIL state */
    int32_t gil_last_holder; /* >= 3.12: within the GIL state */
    /* PyThreadState */
    int32_t ts_next;
    int32_t ts_thread_id;        /* pthread_t: threading.get_ident() */
    int32_t ts_native_thread_id; /* >= 3.11: the OS thread id */
    int32_t ts_frame;            /* <= 3.10 frame, 3.11/3.12 cframe (pointer), 3.13 current_frame */
    int32_t cframe_current_frame; /* 3.11/3.12: current_frame within the _PyCFrame */
    int32_t ts_datastack_chunk;   /* 3.11+: the _PyStackChunk holding the newest frames */
    int32_t ts_datastack_top;     /* 3.11+: the end of its used part */
    int32_t chunk_data;           /* 3.11+: data[] within _PyStackChunk */
    /* frames: PyFrameObject (<= 3.10) or _PyInterpreterFrame (3.11+) */
    int32_t frame_previous;
    int32_t frame_code; /* the code object (3.13: f_executable, may be None) */
    int32_t
        frame_instr; /* <= 3.10 f_lasti (int); 3.11/3.12 prev_instr, 3.13 instr_ptr (pointers) */
    int32_t frame_owner; /* 3.11+: who owns the frame (char) */
    int32_t frame_state; /* 3.9 f_executing, 3.10 f_state (a char); -1 on 3.11+ */
    /* PyCodeObject */
    int32_t co_name;
    int32_t co_qualname; /* 3.11+ */
    int32_t co_filename;
    int32_t co_firstlineno;
    int32_t co_flags;         /* CO_GENERATOR etc. (not in 3.13's debug offsets: from the table) */
    int32_t co_linetable;     /* 3.9 co_lnotab, 3.10+ co_linetable (bytes) */
    int32_t co_code_adaptive; /* 3.11+: the inline bytecode */
    /* objects */
    int32_t ob_type;
    int32_t tp_name;
    int32_t unicode_state;
    int32_t unicode_length;
    int32_t unicode_ascii_size;   /* sizeof(PyASCIIObject): ASCII data follows */
    int32_t unicode_compact_size; /* sizeof(PyCompactUnicodeObject) */
    int32_t bytes_size;
    int32_t bytes_sval;
    /* sys.modules, dicts, ints and instance attributes (thread names) */
    int32_t interp_modules;        /* PyInterpreterState: sys.modules */
    int32_t dict_keys;             /* PyDictObject ma_keys */
    int32_t dict_values;           /* PyDictObject ma_values (split tables) */
    int32_t dk_size;               /* <= 3.10: PyDictKeysObject dk_size (Py_ssize_t) */
    int32_t dk_log2_size;          /* >= 3.11 (uint8) */
    int32_t dk_log2_index_bytes;   /* >= 3.11 (uint8) */
    int32_t dk_kind;               /* >= 3.11 (uint8): 0 general, 1 unicode, 2 split */
    int32_t dk_nentries;           /* entries in use (Py_ssize_t) */
    int32_t dk_indices;            /* the hash index; the entries follow it */
    int32_t dk_entry_size;         /* sizeof(PyDictKeyEntry): hash, key, value */
    int32_t dk_unicode_entry_size; /* >= 3.11 sizeof(PyDictUnicodeEntry): key, value */
    int32_t dv_values;             /* values[] within PyDictValues (3.13: after 4 bytes) */
    int32_t ht_cached_keys;        /* >= 3.11 PyHeapTypeObject: shared keys of instances */
    int32_t long_size;             /* <= 3.11 ob_size (signed digit count); 3.12+ lv_tag */
    int32_t long_digit;            /* ob_digit[]: 30-bit digits, least significant first */
    int32_t tp_basicsize;
    int32_t tp_dictoffset;
    int32_t tp_flags;
} pyro_layout_t;

/* The generated tables, one per supported minor version. */
extern const pyro_layout_t pyro_layouts[];
extern const unsigned pyro_nlayouts;

/* The layout of minor version `version` (any PY_VERSION_HEX of it), or NULL
 * when the version is not supported. */
const pyro_layout_t *pyro_layout_for(uint32_t version);

/* _Py_DebugOffsets (3.13): fill `out` from the `len` bytes found at the start
 * of a 3.13 target's _PyRuntime. Returns 0 when the cookie and version are
 * right and every offset is plausible, PYRO_EFORMAT otherwise, PYRO_EVERSION
 * for a version whose debug-offsets layout is not known. */
int pyro_layout_from_debug_offsets(const void *data, size_t len, pyro_layout_t *out);

/* Bytes of _PyRuntime to read for pyro_layout_from_debug_offsets(). */
#define PYRO_DEBUG_OFFSETS_SIZE 1024

#endif
